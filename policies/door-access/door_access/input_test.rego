package door_access_test

import data.door_access

valid := {"action": "open", "subject": kim, "resource": civic, "environment": {"time": now}, "context": warrant("W-2026-0042")}

reasons_for(i) := reasons if {
	reasons := door_access.decision.reasons with input as i
}

test_null_and_garbage_inputs_are_invalid if {
	every i in [null, "open", 7, [], {}] {
		reasons_for(i) == ["invalid-input:action", "invalid-input:environment", "invalid-input:resource", "invalid-input:subject"]
	}
}

test_each_field_is_checked if {
	cases := [
		[object.union(valid, {"action": "delete"}), "invalid-input:action"],
		[object.union(valid, {"subject": {"id": "", "roles": ["police"]}}), "invalid-input:subject.id"],
		[object.union(valid, {"subject": {"id": "x", "roles": "police"}}), "invalid-input:subject.roles"],
		[object.union(valid, {"subject": {"id": "x", "roles": [1]}}), "invalid-input:subject.roles"],
		[object.union(valid, {"resource": object.union(civic, {"issuer": ""})}), "invalid-input:resource.issuer"],
		[object.union(valid, {"resource": object.union(civic, {"issuedAt": -1})}), "invalid-input:resource.issuedAt"],
		[object.union(valid, {"resource": object.union(civic, {"issuedAt": "now"})}), "invalid-input:resource.issuedAt"],
		[object.union(valid, {"resource": object.union(civic, {"attributes": ["building"]})}), "invalid-input:resource.attributes"],
		[object.union(valid, {"resource": object.union(civic, {"attributes": {"building": 4}})}), "invalid-input:resource.attributes.building"],
		[object.union(valid, {"resource": object.union(civic, {"attributes": {"building": ""}})}), "invalid-input:resource.attributes.building"],
		[object.union(valid, {"resource": object.union(civic, {"attributes": {"tenant": ["a"]}})}), "invalid-input:resource.attributes.tenant"],
		[object.union(valid, {"environment": {"time": "now"}}), "invalid-input:environment.time"],
		[object.union(valid, {"context": "W-2026-0042"}), "invalid-input:context"],
		[object.union(valid, {"context": ["W-2026-0042"]}), "invalid-input:context"],
		[object.union(valid, {"context": {"warrant": 42}}), "invalid-input:context.warrant"],
		[object.union(valid, {"context": {"warrant": ""}}), "invalid-input:context.warrant"],
		[object.union(valid, {"context": {"warrant": null}}), "invalid-input:context.warrant"],
	]
	every c in cases {
		reasons_for(c[0]) == [c[1]]
	}
}

test_a_valid_input_has_no_invalid_reason if {
	door_access.decision.allow with input as valid
}

test_a_null_context_is_invalid_not_absent if {
	reasons_for(object.union(valid, {"context": null})) == ["invalid-input:context"]
}
