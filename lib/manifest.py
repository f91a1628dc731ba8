package("uhomey")
