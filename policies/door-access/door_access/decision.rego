# Door-access records: who may read the badge events a building's door controllers sign.
#
# Entrypoint: door_access/decision (compiled to OPA WebAssembly by `npm run policies:build`).
# Contract: the city policy's ({ allow, reasons, obligations }), input in input.schema.json.
#
# How a decision is made (deny by default, deny overrides):
#   1. A malformed input is denied with "invalid-input:<field>" reasons only (input.rego).
#   2. Constraints on the record itself deny whatever the roles say: the record must state its
#      building, and come from a door controller registered to that building (roles.rego).
#   3. Each known role the subject presents is checked on its own (roles.rego): tenants read
#      their own doors' events, building managers their buildings', police under a warrant
#      passed as input.context.warrant, auditors everything with the badges and names
#      redacted. One role that passes is enough.
#   4. An allow carries the obligations of every role that granted it.
package door_access

# A backstop only: the rule below is defined for every input, garbage included.
default decision := {"allow": false, "reasons": ["policy-error"], "obligations": []}

decision := {"allow": allow, "reasons": reasons, "obligations": obligations}

default allow := false

allow if {
	count(invalid_input) == 0
	count(record_denial) == 0
	count(granted_roles) > 0
}

# Roles whose grant applies and whose conditions all hold.
granted_roles contains role if {
	some role, _ in grant
	not role_denied(role)
}

role_denied(role) if {
	some denial in role_denial
	denial.role == role
}

reasons := sort({concat(":", ["allowed", grant[role]]) | some role in granted_roles}) if {
	allow
} else := sort(invalid_input) if {
	count(invalid_input) > 0
} else := sort(denial_reasons)

denial_reasons contains reason if some reason in record_denial

denial_reasons contains denial.reason if {
	count(granted_roles) == 0
	some denial in role_denial
}

denial_reasons contains "no-known-role" if count(acting_roles) == 0

obligations := sort(granted_obligations) if {
	allow
} else := []

granted_obligations contains obligation if {
	some role in granted_roles
	some entry in role_obligation
	entry.role == role
	obligation := entry.obligation
}
