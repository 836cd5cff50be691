# Outputs that PolicyEngine must treat as deny.
package bad

allow_string := {"allow": "yes", "reasons": [], "obligations": []}

unknown_obligation := {"allow": true, "reasons": ["x"], "obligations": [{"type": "teleport"}]}

extra_field := {"allow": true, "reasons": [], "obligations": [], "admin": true}

reasons_not_strings := {"allow": true, "reasons": [1], "obligations": []}

undefined_decision := {"allow": true, "reasons": [], "obligations": []} if {
	input.never == "present"
}

bare_true := true
