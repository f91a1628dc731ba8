# uhomey's error texts: one line each, a key, one space, the text; %s and its
# friends are filled in by errors.text(key, ...). Raise sites name a text by its
# key (`raise NotFound.of("no_device", name)`).
#
# This file is a data table and a module at once, so the texts never sit in RAM:
# - from source or .mpy, messages.text_of() reads this file a line at a time (copy it
#   to the board with the modules, as it is: tools/mpybuild.py does);
# - frozen into the firmware, where no file is beside the code, it imports the
#   module: TEXTS is then a string in flash.
# Without it an error still names its key and values.
TEXTS = """
# config (config.py)
config_unreadable cannot read the config file %s: does it exist?
config_not_json the config file %s is not valid JSON: check commas and quotes
config_not_object %s: `%s` must be an object
config_not_string %s: %s.%s must be a string
config_bad_url %s: %s must be an http:// or https:// address with a host and at most a port of 1-65535, e.g. http://192.168.1.20
config_too_deep %s: the config nests too deep or is too big to read: check it in a JSON editor
config_ca_bad %s: tls.ca file %s is not a certificate (DER or PEM): export the CA again
config_top_not_object %s: the top level must be a JSON object
config_client_auth %s: athom.client_auth must be "basic" or "form"
config_otp %s: athom.otp must be the 6-digit code from your authenticator app
config_fresh_ms %s: homey.fresh_ms must be a whole number of milliseconds
config_realtime %s: homey.realtime must be true (keep the buttons' devices' state from the Homey's pushes; mains-powered buttons) or false
config_api_key_without_url %s: homey.api_key is set but homey.url is missing: give the Homey's local address, e.g. http://192.168.1.20
config_no_client %s: athom.%s is missing: create an app at https://tools.developer.homey.app (or use homey.api_key with homey.url on a Homey Pro)
config_tls_not_object %s: `tls` must be an object
config_tls_verify %s: tls.verify must be true or false
config_tls_ca %s: tls.ca must be a file name or a list of file names
config_tokens %s: tokens must be a file name
config_timeout %s: timeout must be a number of seconds between 0 and 120
# the wire (conn.py, http.py, jwalk.py)
ca_unreadable cannot read tls.ca file %s
ca_no_certificate tls.ca file %s holds no certificate
endless_informational %s sent more than %d informational (1xx) answers before its answer
header_not_text %s sent a header that is not text (UTF-8)
bad_address an address to call is not an http:// or https:// URL with a host and port: call h.forget() or reconnect
json_too_deep %s: the answer nests over %d deep; a Homey's never does
write_unsure %s: the answer was broken (%s), so the change may or may not have been applied: read the value back before trying again
out_of_memory the device ran out of RAM in %s(): what the session held (its connection, remembered values) was dropped and the next call starts afresh; free RAM or do fewer things at once
header_line_too_long %s sent a header line over %d bytes
not_http %s did not answer with HTTP
too_many_headers %s sent too many headers
bad_content_length bad Content-Length from %s
bad_chunk_size bad chunk size from %s
answer_cut_short the answer from %s was cut short; try again
answer_too_long the answer from %s is over %d bytes
not_json expected JSON from %s but got %s (HTTP %d); a captive portal or proxy?
json_unparsable the JSON from %s does not parse
json_ends_early %s: the answer is not valid JSON (it ends early)
json_number_too_long %s: the answer is not valid JSON (a number is too long)
json_bad_at %s: the answer is not valid JSON (at %r)
json_bad %s: the answer is not valid JSON
# the password login (login.py, consent.py, jwt.py)
no_login_in_config no usable stored login and no athom.email/athom.password in the config: add them (and athom.otp for 2FA accounts) and call uhomey.connect() again
login_without_token the Athom login answered without a token; try again later
consent_page_too_big the consent page is over %d bytes; is this really accounts.athom.com?
consent_no_csrf the consent page has no _csrf field; Athom may have changed it - report this to uhomey with the page saved from a browser
consent_no_location the consent step answered 302 without a Location; try again
consent_refused the consent step was refused: %s
consent_no_code the consent step redirected without a code; check athom.redirect_uri
homey_id_not_offered homey.id %s is not offered on the consent page; this account offers: %s
consent_offers_no_homey the consent page offered no Homey: does this Athom account have one?
# Athom tokens, the Homey session, discovery (athom.py, auth.py)
client_refused %s: Athom refused athom.client_id / athom.client_secret
code_expired %s: Athom says the code expired or was used (it lives ~30 s); connect again
token_answer_lacks %s: the token answer has no %s
login_expired the stored Athom login has expired or was revoked: put athom.email and athom.password (and athom.otp for 2FA) in the config and call uhomey.connect() again
delegation_not_string the delegation token answer is not a JSON string; try again later
session_not_string the Homey's login answer is not a session string; try again later
several_homeys this account has several Homeys (%s): set homey.id in the config to the one to use
homey_not_on_account Homey %s is not on this Athom account (it has: %s); check homey.id
another_homey %s answers as another Homey (%s), not as Homey %s: has the Homey's address changed?
homey_addresses_silent none of Homey %s's %d addresses answered as that Homey; is it online?
apikey_refused the Homey refused the API key in homey.api_key: create a new one in the Homey app (Settings > API Keys) with the scopes this button needs
store_unwritable could not write the token store %s (error %s): is the flash full or read-only?
store_set_aside the token store %s is damaged (its %s is wrong): set aside as %s, and the login starts over
store_not_set_aside the token store %s is damaged (its %s is wrong) and could not be renamed: the login starts over and overwrites it
# devices and values (homey.py, devices.py)
device_not_given a device is given by its id or its exact name (a non-empty string)
no_device no device named "%s" on the Homey (names match exactly); h.devices() lists them
several_devices %d devices are named "%s": use the id of the one you mean (%s)
device_not_object reading device %s: the answer is not an object
device_list_too_big the list of devices does not fit in RAM (%d read so far): narrow it down, e.g. h.devices("kitchen")
no_capability device %s has no capability %r (it has: %s)
read_only %s of device %s is read-only
takes_bool %s takes true or false, not %r
takes_number %s takes a number, not %r
out_of_range %s must be between %s and %s, not %r
takes_text %s takes text, not %r
toggle_not_on_off toggle works on on/off capabilities; %s of %s holds %r
dim_step_not_number dim_step takes a number such as 0.1 or -0.1, not %r
# flows, variables, webhooks (lists.py)
flow_not_given a flow is given by its id or its exact name
no_flow_id no flow with id %s on the Homey
no_named no %s named "%s" on the Homey (names match exactly)
several_named %d %ss are named "%s": use the id of the one you mean (%s)
variable_not_object variable %s: the Homey's answer is not an object
variable_type variable %r is a %s; %r does not fit
webhook_no_event a webhook needs an event name
webhook_no_homey_id the Homey did not say its id: set homey.id in the config for webhooks
"""
