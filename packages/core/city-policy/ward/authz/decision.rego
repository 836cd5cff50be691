# Ward's policy set for city data: the decision the SDK asks for.
#
# Entrypoint: ward/authz/decision (compiled to OPA WebAssembly by `npm run policies:build`).
# Contract: policies/input.schema.json and policies/README.md.
#
# How a decision is made (deny by default, deny overrides):
#   1. A malformed input is denied with "invalid-input:<field>" reasons only (input.rego).
#   2. Global constraints on the data itself deny whatever the subject's roles say:
#      classification, purpose binding, retention, producer trust, clock (classification.rego).
#   3. Each known role the subject presents is checked on its own: is the action on this
#      classification in the role's scope at all, and does every condition of that grant hold
#      (roles.rego, contractors.rego, breakglass.rego)? One role that passes is enough.
#   4. An allow carries the obligations of every role that granted it (log, notify, redact):
#      obligations only ever add duties, so presenting extra roles never weakens them.
package ward.authz

# A backstop only: the rule below is defined for every input, garbage included.
default decision := {"allow": false, "reasons": ["policy-error"], "obligations": []}

decision := {"allow": allow, "reasons": reasons, "obligations": obligations}

default allow := false

allow if {
	count(invalid_input) == 0
	count(global_denial) == 0
	count(granted_roles) > 0
}

# Roles whose grant applies and whose conditions all hold.
granted_roles contains role if {
	some role, _ in scope
	not role_denied(role)
}

role_denied(role) if {
	some denial in role_denial
	denial.role == role
}

# Allowed: one "allowed:<grant>" per granting role, e.g. "allowed:analyst-internal".
reasons := sort({concat(":", ["allowed", scope[role]]) | some role in granted_roles}) if {
	allow
} else := sort(invalid_input) if {
	count(invalid_input) > 0
} else := sort(denial_reasons)

# Why a valid input was denied: every global constraint that failed and, when no role granted,
# why each presented role did not.
denial_reasons contains reason if some reason in global_denial

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

granted_obligations contains obligation if some obligation in global_obligation
