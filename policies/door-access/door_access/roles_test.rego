package door_access_test

import data.door_access

# Tenants

test_tenant_reads_own_events if {
	open(acme, civic) == allowed("allowed:tenant-own-events", [])
}

test_tenant_reads_another_tenants_events_is_denied if {
	open(cafe, civic) == denied(["not-own-tenant"])
}

test_tenant_without_stated_tenant_is_denied if {
	open(acme, without_attribute(civic, "tenant")) == denied(["tenant-not-stated"])
}

# Building managers

test_manager_reads_managed_building if {
	open(olu, civic) == allowed("allowed:building-manager", [{"type": "log"}])
}

test_manager_of_two_buildings_reads_both if {
	open(mei, civic) == allowed("allowed:building-manager", [{"type": "log"}])
	open(mei, harbour) == allowed("allowed:building-manager", [{"type": "log"}])
}

test_manager_reads_other_building_is_denied if {
	open(olu, harbour) == denied(["outside-managed-building"])
}

test_unlisted_manager_is_denied if {
	open(subject("manager:nobody", ["building-manager"]), civic) == denied(["not-a-manager"])
}

test_manager_with_malformed_buildings_is_denied if {
	open(olu, civic) == denied(["outside-managed-building"]) with data.door_access.config.managers["manager:civic:olu"] as {"buildings": "civic-centre"}
}

# Police

test_police_with_warrant_reads_events if {
	decide_with("open", kim, civic, warrant("W-2026-0042")) == allowed("allowed:police-warrant", [{"to": "city-records-office", "type": "notify"}, {"type": "log"}])
}

test_police_without_warrant_is_denied if {
	open(kim, civic) == denied(["warrant-missing"])
	decide_with("open", kim, civic, {}) == denied(["warrant-missing"])
	decide_with("open", kim, civic, {"case": "INC-1"}) == denied(["warrant-missing"])
}

test_police_unknown_warrant_is_denied if {
	decide_with("open", kim, civic, warrant("W-1999-0001")) == denied(["warrant-unknown"])
}

test_police_other_officers_warrant_is_denied if {
	lee := subject("police:officer:lee", ["police"])
	decide_with("open", lee, civic, warrant("W-2026-0042")) == denied(["warrant-not-for-subject"])
}

test_police_warrant_for_other_building_is_denied if {
	decide_with("open", kim, harbour, warrant("W-2026-0042")) == denied(["warrant-not-for-building", "warrant-not-for-tenant"])
}

test_police_warrant_for_other_tenant_is_denied if {
	other := object.union(civic, {"attributes": {"tenant": "tenant:civic-gym"}})
	decide_with("open", kim, other, warrant("W-2026-0042")) == denied(["warrant-not-for-tenant"])
}

test_police_warrant_without_tenants_covers_every_tenant if {
	decide_with("open", kim, harbour, warrant("W-2026-0051")) == allowed("allowed:police-warrant", [{"to": "city-records-office", "type": "notify"}, {"type": "log"}]) with data.door_access.config.warrants["W-2026-0051"].expires as now + 1
}

test_police_warrant_period_is_from_inclusive_until_exclusive if {
	w := data.door_access.config.warrants["W-2026-0042"]
	decide_with("open", kim, issued(civic, w.from), warrant("W-2026-0042")).allow
	decide_with("open", kim, issued(civic, w.from - 1), warrant("W-2026-0042")) == denied(["record-outside-warrant-period"])
	decide_with("open", kim, issued(civic, w.until), warrant("W-2026-0042")) == denied(["record-outside-warrant-period"])
}

test_police_warrant_without_period_is_denied if {
	# `with` on a data path merges objects; replacing the rule that reads them replaces.
	decide_with("open", kim, civic, warrant("W-2026-0042")) == denied(["record-outside-warrant-period"]) with door_access.warrants as {"W-2026-0042": {
		"subject": "police:officer:kim",
		"buildings": ["civic-centre"],
		"expires": now + 1,
	}}
}

test_police_expired_warrant_is_denied if {
	decide_with("open", kim, harbour, warrant("W-2026-0051")) == denied(["warrant-expired"])
	decide_with("open", kim, civic, warrant("W-2026-0042")) == denied(["warrant-expired"]) with data.door_access.config.warrants["W-2026-0042"].expires as now
}

test_police_without_records_officer_is_denied if {
	decide_with("open", kim, civic, warrant("W-2026-0042")) == denied(["records-officer-not-configured"]) with data.door_access.config.records_officer as ""
}

# Auditors

test_auditor_reads_with_badges_and_names_redacted if {
	open(ines, civic) == allowed("allowed:auditor-redacted", [{"fields": ["events[].badge", "events[].person"], "type": "redact"}, {"type": "log"}])
}

test_auditor_without_redaction_is_denied if {
	open(ines, civic) == denied(["redaction-not-configured"]) with data.door_access.config.audit_redaction as []
}

# verify and rewrap

test_every_known_role_verifies_without_obligations if {
	every who in [acme, cafe, olu, kim, ines] {
		decide("verify", who, harbour) == allowed("allowed:verify", [])
	}
}

test_nobody_rewraps if {
	every who in [acme, olu, kim, ines] {
		decide("rewrap", who, civic) == denied(["rewrap-not-permitted"])
	}
}

test_unknown_role_is_denied if {
	open(subject("visitor:sam", ["visitor"]), civic) == denied(["no-known-role"])
	decide("verify", subject("visitor:sam", []), civic) == denied(["no-known-role"])
}

# Several roles: one grant is enough, and obligations of every granting role are added.

test_two_granting_roles_add_obligations if {
	both := subject("manager:civic:olu", ["building-manager", "auditor"])
	decision := open(both, civic)
	decision.allow
	decision.reasons == ["allowed:auditor-redacted", "allowed:building-manager"]
	decision.obligations == [{"fields": ["events[].badge", "events[].person"], "type": "redact"}, {"type": "log"}]
}

test_a_failing_role_beside_a_granting_one_still_allows if {
	both := subject("tenant:acme-legal", ["tenant", "police"])
	open(both, civic) == allowed("allowed:tenant-own-events", [])
}
