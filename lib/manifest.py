# Freeze uhomey into a MicroPython firmware image: its bytecode and names then live in
# flash, not RAM. Other manifests take it with include("<path to uhomey>/lib/manifest.py").
package("uhomey")
