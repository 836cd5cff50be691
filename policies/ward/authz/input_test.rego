package ward.authz_test

import data.ward.authz

valid := {"action": "open", "subject": analyst, "resource": footfall, "environment": env}

decision_for(doc) := decision if {
	decision := authz.decision with input as doc
}

# A valid input with one field set (object.union merges objects) or removed.
patched(path, value) := json.patch(valid, [{"op": "add", "path": path, "value": value}])

removed(path) := json.patch(valid, [{"op": "remove", "path": path}])

test_the_valid_input_is_allowed if {
	decision_for(valid) == allowed("allowed:analyst-internal", [])
}

test_no_input_is_denied if {
	decision := authz.decision
	decision == denied([
		"invalid-input:action",
		"invalid-input:environment",
		"invalid-input:resource",
		"invalid-input:subject",
	])
}

test_garbage_inputs_are_denied_with_reasons if {
	every garbage in [null, true, 42, "open", [], {}, [valid], {"action": "open"}] {
		decision := decision_for(garbage)
		decision.allow == false
		decision.obligations == []
		count(decision.reasons) > 0
		every reason in decision.reasons {
			startswith(reason, "invalid-input:")
		}
	}
}

test_parts_of_the_wrong_type_are_denied if {
	decision_for({"action": "open", "subject": [], "resource": "x", "environment": 1}) == denied([
		"invalid-input:environment",
		"invalid-input:resource",
		"invalid-input:subject",
	])
}

test_unknown_action_is_denied if {
	decision_for(patched("/action", "delete")) == denied(["invalid-input:action"])
}

# Each field: its reason for a wrong type, and for a missing required field.
field_cases := [
	["/subject/id", 7, "invalid-input:subject.id"],
	["/subject/id", "", "invalid-input:subject.id"],
	["/subject/roles", "analyst", "invalid-input:subject.roles"],
	["/subject/roles", ["analyst", 1], "invalid-input:subject.roles"],
	["/subject/purpose", null, "invalid-input:subject.purpose"],
	["/subject/zones", "market-square", "invalid-input:subject.zones"],
	["/subject/organisation", false, "invalid-input:subject.organisation"],
	["/resource/issuer", "", "invalid-input:resource.issuer"],
	["/resource/stream", 1, "invalid-input:resource.stream"],
	["/resource/issuedAt", "1795300000", "invalid-input:resource.issuedAt"],
	["/resource/issuedAt", -1, "invalid-input:resource.issuedAt"],
	["/resource/sequence", 1041, "invalid-input:resource.sequence"],
	["/resource/id", 5, "invalid-input:resource.id"],
	["/resource/attributes", [], "invalid-input:resource.attributes"],
	["/resource/attributes/classification", 1, "invalid-input:resource.attributes.classification"],
	["/resource/attributes/zone", ["market-square"], "invalid-input:resource.attributes.zone"],
	["/resource/attributes/purpose", "planning", "invalid-input:resource.attributes.purpose"],
	["/resource/attributes/owner", 3, "invalid-input:resource.attributes.owner"],
	["/resource/attributes/retention", "30d", "invalid-input:resource.attributes.retention"],
	["/resource/signer", "8f3a6c1d", "invalid-input:resource.signer"],
	["/resource/signer/alg", "EdDSA", "invalid-input:resource.signer"],
	["/resource/encryption", "aes", "invalid-input:resource.encryption"],
	["/resource/rewrap", {"issuer": "city-archive"}, "invalid-input:resource.rewrap"],
	["/resource/rewrap", {"issuer": "", "rewrappedAt": 1}, "invalid-input:resource.rewrap"],
	["/environment/time", "now", "invalid-input:environment.time"],
	["/environment/emergency", true, "invalid-input:environment.emergency"],
	["/environment/emergency", {"declared": "yes"}, "invalid-input:environment.emergency"],
	["/environment/emergency", {"declared": true, "incident": 1142}, "invalid-input:environment.emergency"],
]

test_fields_of_the_wrong_type_are_denied if {
	every case in field_cases {
		[path, value, reason] := case
		decision_for(patched(path, value)) == denied([reason])
	}
}

required_fields := [
	["/subject/id", "invalid-input:subject.id"],
	["/subject/roles", "invalid-input:subject.roles"],
	["/subject/purpose", "invalid-input:subject.purpose"],
	["/resource/issuer", "invalid-input:resource.issuer"],
	["/resource/stream", "invalid-input:resource.stream"],
	["/resource/issuedAt", "invalid-input:resource.issuedAt"],
	["/resource/sequence", "invalid-input:resource.sequence"],
	["/resource/id", "invalid-input:resource.id"],
	["/resource/attributes", "invalid-input:resource.attributes"],
	["/resource/attributes/classification", "invalid-input:resource.attributes.classification"],
	["/resource/signer", "invalid-input:resource.signer"],
	["/resource/signer/kid", "invalid-input:resource.signer"],
	["/resource/encryption", "invalid-input:resource.encryption"],
	["/environment/time", "invalid-input:environment.time"],
]

test_missing_required_fields_are_denied if {
	every case in required_fields {
		[path, reason] := case
		decision_for(removed(path)) == denied([reason])
	}
}

test_optional_fields_are_accepted if {
	decision_for(patched("/subject/zones", ["market-square"])).allow
	decision_for(patched("/subject/organisation", "City Planning")).allow
	decision_for(patched("/resource/attributes/owner", "planning-office")).allow
	decision_for(patched("/resource/attributes/retention", 1.5 * hour)).allow
	decision_for(patched("/resource/rewrap", {"issuer": "city-archive", "rewrappedAt": now})).allow
	decision_for(patched("/environment/emergency", {"declared": false})).allow
	decision_for(patched("/environment/emergency", {"declared": true, "incident": "INC-1"})).allow
	decision_for(patched("/resource/attributes/sensor-model", "FC-200")).allow
	decision_for(patched("/resource/encryption", "encrypt0")).allow
}

test_invalid_input_reports_only_input_reasons if {
	# The purpose is also not permitted, but a malformed input is not evaluated further.
	decision_for(patched("/subject/zones", 1)) == denied(["invalid-input:subject.zones"])
	doc := json.patch(valid, [
		{"op": "add", "path": "/subject/purpose", "value": "marketing"},
		{"op": "add", "path": "/resource/id", "value": 1},
	])
	decision_for(doc) == denied(["invalid-input:resource.id"])
}
