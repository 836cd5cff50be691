# Maintenance contractors: internal readings of the devices they maintain, in the zones and
# time windows of their contract. Contracts live in data.json under contractors, keyed by the
# subject id the contractor authenticates with:
#
#   "contractor:metromaint:ravi": {
#     "organisation": "MetroMaint Services",                  optional: the subject must state the same
#     "zones": ["market-square", "harbour"],                   where the contract applies
#     "device_kinds": ["footfall-counter"],                    kinds of producers (data.json producers[_].kind)
#     "windows": [{"from": 1767225600, "until": 1893456000}],  [from, until) in epoch seconds
#     "streams": ["lighting/faults/"]                          optional: stream prefixes it is limited to
#   }
#
# Reasons: no-contract, organisation-mismatch, outside-contracted-zone, outside-time-window,
# device-not-in-contract, stream-not-in-contract; and, as the role is zone-bound (roles.rego),
# outside-zone and zone-not-stated. Public data needs no contract.
package ward.authz

scope["maintenance-contractor"] := "maintenance-contractor-internal" if {
	"maintenance-contractor" in acting_roles
	action == "open"
	classification == "internal"
}

contractor_grant if scope["maintenance-contractor"] == "maintenance-contractor-internal"

# The subject's contract, or null.
contract := c if {
	c := got(got(config, "contractors"), got(subject, "id"))
	is_object(c)
} else := null

has_contract if is_object(contract)

contractor_denial contains "no-contract" if not has_contract

contractor_denial contains "organisation-mismatch" if {
	expected := got(contract, "organisation")
	is_string(expected)
	got(subject, "organisation") != expected
}

contractor_denial contains "outside-contracted-zone" if {
	has_contract
	not zone in strings_or_empty(got(contract, "zones"))
}

contractor_denial contains "outside-time-window" if {
	has_contract
	not in_contract_window
}

in_contract_window if {
	some window in got(contract, "windows")
	window.from <= now
	now < window.until
}

contractor_denial contains "device-not-in-contract" if {
	has_contract
	not got(producer(got(resource, "issuer")), "kind") in strings_or_empty(got(contract, "device_kinds"))
}

# A contract that lists streams covers only streams with one of those prefixes (e.g. lamp
# fault readings, not lamp energy readings).
contractor_denial contains "stream-not-in-contract" if {
	is_array(got(contract, "streams"))
	not stream_in_contract
}

stream_in_contract if {
	some prefix in contract.streams
	is_string(prefix)
	startswith(got(resource, "stream"), prefix)
}

role_denial contains {"role": "maintenance-contractor", "reason": reason} if {
	contractor_grant
	some reason in contractor_denial
}
