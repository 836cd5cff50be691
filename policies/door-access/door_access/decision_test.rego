package door_access_test

import data.door_access

# The record's own constraints deny whatever the roles say.

test_unknown_controller_is_denied if {
	open(ines, record("door-controller-77", "civic-centre", "tenant:acme-legal")) == denied(["unknown-controller"])
}

test_controller_of_another_building_is_denied if {
	open(ines, record("door-controller-9", "civic-centre", "tenant:acme-legal")) == denied(["building-mismatch"])
}

test_record_without_building_is_denied if {
	open(acme, without_attribute(civic, "building")) == denied(["building-not-stated"])
}

test_record_constraints_do_not_bind_verify if {
	decide("verify", ines, record("door-controller-77", "civic-centre", "tenant:acme-legal")) == allowed("allowed:verify", [])
}

test_without_data_nothing_opens if {
	open(acme, civic) == denied(["unknown-controller"]) with data.door_access.config as null
}

# Every decision has the shape the SDK accepts: a boolean, sorted non-empty reasons, and
# obligations only on an allow.

shape_ok(d) if {
	is_boolean(d.allow)
	count(d.reasons) > 0
	d.reasons == sort(d.reasons)
	d.obligations == sort(d.obligations)
	not d.allow == false
}

shape_ok(d) if {
	d.allow == false
	count(d.reasons) > 0
	d.obligations == []
}

test_every_decision_has_the_contract_shape if {
	inputs := [
		null, "open", {}, [],
		{"action": "open", "subject": kim, "resource": civic, "environment": {"time": now}, "context": warrant("W-2026-0042")},
		{"action": "verify", "subject": olu, "resource": harbour, "environment": {"time": now}},
		{"action": "rewrap", "subject": olu, "resource": harbour, "environment": {"time": now}},
		{"action": "open", "subject": ines, "resource": civic, "environment": {"time": now}},
	]
	every i in inputs {
		shape_ok(door_access.decision) with input as i
	}
}
