"""The accounts site's HTML: the consent page in three markup styles, and
small error and landing pages.

The consent page is what a tolerant parser must survive: attribute order and
quoting vary by `variant`, a `<meta>` names `_csrf` before the real input, the
first radio button (pre-checked) is not necessarily the Homey the JWT names,
and there are decoy inputs (a search box, the allow and deny buttons).
"""
from html import escape

HEAD = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <meta name="csrf-param" content="_csrf">
  <title>Authorize {client} - Athom</title>
  <link rel="stylesheet" href="/static/css/main.css?v=3.14.2">
  <link rel="icon" href="/static/img/favicon.png">
  <script>window.__CONFIG__ = {{"locale": "en", "resourcePrefix": "resource.homey.", "build": "3.14.2"}};</script>
</head>
<body class="page-authorise">
  <header class="topbar">
    <a class="logo" href="/"><img src="/static/img/athom-logo.svg" alt="Athom"></a>
    <form class="search" action="/search" method="get" role="search">
      {search}
    </form>
  </header>
  <main class="container">
    <section class="card">
      <h1>Authorize <strong>{client}</strong></h1>
      <p class="lead">{client} would like to access your account
         <em>{email}</em>. It will be able to control the devices, Flows and
         Logic of the Homey you choose below, until you revoke its access in
         your account settings.</p>
"""

TAIL = """      <ul class="scopes">
        <li>View and control your devices</li>
        <li>Start your Flows</li>
        <li>Read and change Logic variables</li>
      </ul>
    </section>
  </main>
  <footer class="footer">
    <a href="/terms">Terms of Use</a> &middot; <a href="/privacy">Privacy</a> &middot;
    <a href="https://support.example.invalid/">Support</a>
    <p>&copy; Athom B.V. &mdash; simulated for uhomey tests</p>
  </footer>
  <script src="/static/js/authorise.js?v=3.14.2" defer></script>
</body>
</html>
"""


def _input(variant, attrs, flag=None, i=0):
    """One <input>, attrs as ordered (name, value) pairs, in the variant's style."""
    if variant == 0:
        parts = ['%s="%s"' % (k, escape(v)) for k, v in attrs]
        return "<input %s%s>" % (" ".join(parts), " " + flag if flag else "")
    if variant == 1:
        parts = ["%s='%s'" % (k, escape(v)) for k, v in reversed(attrs)]
        return "<input %s%s />" % (" ".join(parts), " %s='%s'" % (flag, flag) if flag else "")
    # variant 2: upper-case tag and names, one attribute per line, quotes only where needed
    parts = []
    for j, (k, v) in enumerate(attrs):
        safe = v and not any(c in v for c in " \"'=<>`\t\n")
        q = "" if safe and (i + j) % 2 == 0 else '"'
        parts.append("%s=%s%s%s" % (k.upper(), q, escape(v), q))
    return "<INPUT\n        %s%s>" % ("\n        ".join(parts), "\n        " + flag.upper() if flag else "")


def consent_page(variant, client_name, email, action, csrf, homeys, checked_first=True):
    """homeys: [(id, name)]; action: the form's target (path + query)."""
    search = _input(variant, [("type", "search"), ("name", "q"), ("placeholder", "Search help")])
    out = [HEAD.format(client=escape(client_name), email=escape(email), search=search)]
    out.append('      <form class="consent" method="post" action="%s" autocomplete="off">\n'
               % escape(action))
    out.append("        " + _input(variant, [("type", "hidden"), ("name", "_csrf"), ("value", csrf)])
               + "\n")
    out.append('        <fieldset class="homeys">\n          <legend>Choose a Homey</legend>\n')
    if len(homeys) == 1:
        hid, name = homeys[0]
        out.append("          " + _input(variant, [("type", "hidden"), ("name", "resource"),
                                                   ("value", "resource.homey." + hid)]) + "\n")
        out.append('          <p class="homey-name">%s</p>\n' % escape(name))
    else:
        for i, (hid, name) in enumerate(homeys):
            flag = "checked" if checked_first and i == 0 else None
            inp = _input(variant, [("type", "radio"), ("name", "resource"), ("id", "homey-%d" % i),
                                   ("value", "resource.homey." + hid)], flag, i)
            out.append('          <label class="homey" for="homey-%d">\n            %s\n'
                       '            <span>%s</span>\n          </label>\n' % (i, inp, escape(name)))
    out.append("        </fieldset>\n")
    if variant == 2:
        out.append('        <BUTTON TYPE=submit NAME=deny VALUE=Deny CLASS="btn btn-secondary">Deny</BUTTON>\n'
                   '        <BUTTON\n          TYPE="submit" NAME=allow\n          VALUE=Allow CLASS="btn btn-primary">Allow</BUTTON>\n')
    elif variant == 1:
        out.append("        <button value='Deny' name='deny' type='submit' class='btn btn-secondary'>Deny</button>\n"
                   "        <button value='Allow' name='allow' type='submit' class='btn btn-primary'>Allow</button>\n")
    else:
        out.append('        <button type="submit" name="deny" value="Deny" class="btn btn-secondary">Deny</button>\n'
                   '        <button type="submit" name="allow" value="Allow" class="btn btn-primary">Allow</button>\n')
    out.append("      </form>\n")
    out.append(TAIL)
    return "".join(out)


def error_page(status, title, message):
    return """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>%d %s - Athom</title></head>
<body class="page-error"><main class="container"><h1>%s</h1><p class="error">%s</p>
<p><a href="/">Back to your account</a></p></main></body></html>
""" % (status, escape(title), escape(title), escape(message))


def redirect_page(location):
    return '<p>Found. Redirecting to <a href="%s">%s</a></p>\n' % (escape(location), escape(location))


LANDING = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Athom account</title></head>
<body><main class="container"><h1>Athom account</h1>
<p>Log in to manage your Homeys.</p></main></body></html>
"""
