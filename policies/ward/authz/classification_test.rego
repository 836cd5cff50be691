package ward.authz_test

# Classification ---------------------------------------------------------------------------------

test_unknown_classification_is_denied if {
	# No minimum producer trust is configured for it either, so it would need a high one.
	open(analyst, with_attributes(footfall, {"classification": "secret"})) == denied([
		"classification-not-permitted",
		"producer-trust-too-low",
		"unknown-classification",
	])
}

test_unknown_classification_is_denied_even_to_auditors if {
	open(auditor, with_attributes(cctv, {"classification": "Internal"})) == denied([
		"classification-not-permitted",
		"unknown-classification",
	])
}

# Purpose binding ------------------------------------------------------------------------------

test_purpose_not_stated_by_the_data_is_denied if {
	open(purpose(analyst, "marketing"), footfall) == denied(["purpose-not-permitted"])
}

test_purpose_binding_overrides_a_grant if {
	# The analyst's grant applies; the data's purposes still do not include marketing.
	open(with_roles(purpose(analyst, "marketing"), ["analyst", "operator"]), footfall) == denied(["purpose-not-permitted"])
}

test_internal_data_without_purposes_is_not_purpose_bound if {
	open(purpose(analyst, "anything"), without_attribute(footfall, "purpose")).allow
}

test_empty_purpose_list_binds_nothing_on_internal_data if {
	open(purpose(analyst, "anything"), with_attributes(footfall, {"purpose": []})).allow
}

test_personal_data_without_purposes_is_denied if {
	open(operator, without_attribute(parking, "purpose")) == denied(["purpose-missing"])
}

test_personal_data_with_empty_purposes_is_denied if {
	open(operator, with_attributes(parking, {"purpose": []})) == denied(["purpose-missing"])
}

test_special_category_without_purposes_is_denied if {
	decide("open", responder, without_attribute(cctv, "purpose"), emergency) == denied(["purpose-missing"])
}

# Retention -------------------------------------------------------------------------------------

test_stated_retention_is_enforced if {
	kept_a_day := with_attributes(footfall, {"retention": day})
	open(analyst, issued(kept_a_day, now - day)).allow
	open(analyst, issued(kept_a_day, (now - day) - 1)) == denied(["retention-expired"])
}

test_retention_expiry_overrides_every_grant if {
	expired := issued(with_attributes(footfall, {"retention": hour}), now - (2 * hour))
	open(auditor, expired) == denied(["retention-expired"])
}

test_stated_retention_is_capped_by_the_classification_maximum if {
	# The camera asks for a year; the city keeps CCTV at most 31 days.
	kept_a_year := with_attributes(cctv, {"retention": 365 * day})
	decide("open", responder, issued(kept_a_year, now - (31 * day)), emergency).allow
	decide("open", responder, issued(kept_a_year, (now - (31 * day)) - 1), emergency) == denied(["retention-expired"])
}

test_shorter_stated_retention_wins_over_the_maximum if {
	decide("open", responder, issued(cctv, (now - (30 * day)) - 1), emergency) == denied(["retention-expired"])
}

test_classification_maximum_applies_without_stated_retention if {
	decision := open(operator, issued(parking, (now - (365 * day)) - 1))
	decision == denied(["retention-expired"])
}

test_no_retention_at_all_keeps_data_open if {
	open(analyst, issued(footfall, now - (3650 * day))).allow
}

# Clock ------------------------------------------------------------------------------------------

test_data_from_the_future_is_denied if {
	open(analyst, issued(footfall, (now + 300) + 1)) == denied(["issued-in-future"])
}

test_clock_skew_is_tolerated if {
	open(analyst, issued(footfall, now + 300)).allow
}

test_clock_skew_comes_from_data if {
	decision := open(analyst, issued(footfall, now + 60)) with data.ward.config.max_clock_skew as 30
	decision == denied(["issued-in-future"])
}

test_clock_skew_defaults_to_five_minutes if {
	decision := open(analyst, issued(footfall, now + 301)) with data.ward.config.max_clock_skew as null
	decision == denied(["issued-in-future"])
}

# Producer trust ------------------------------------------------------------------------------

test_unknown_producer_internal_data_is_denied if {
	open(analyst, object.union(footfall, {"issuer": "unregistered-sensor"})) == denied(["producer-trust-too-low"])
}

test_unknown_producer_public_data_is_open if {
	open(citizen, object.union(air, {"issuer": "unregistered-sensor"})) == allowed("allowed:public", [])
}

test_low_trust_producer_internal_data_is_denied if {
	report := reading("citizen-reports", "reports/potholes", {"classification": "internal", "purpose": ["planning"]})
	open(analyst, report) == denied(["producer-trust-too-low"])
}

test_special_category_needs_a_high_trust_producer if {
	decision := open(auditor, cctv) with data.ward.config.producers["cctv-12"].trust as "medium"
	decision == denied(["producer-trust-too-low"])
}

test_unknown_trust_level_counts_as_low if {
	decision := open(analyst, footfall) with data.ward.config.producers["footfall-counter-17"].trust as "very-high"
	decision == denied(["producer-trust-too-low"])
}

test_classification_without_minimum_needs_high_trust if {
	decision := open(analyst, footfall) with data.ward.config.min_producer_trust.internal as null
	decision == denied(["producer-trust-too-low"])
}

test_rewrapped_by_a_trusted_authority_is_open if {
	archived := object.union(cctv, {"rewrap": {"issuer": "city-archive", "rewrappedAt": now - 60}})
	open(auditor, archived) == allowed("allowed:auditor-special-category", [{"type": "log"}])
}

test_rewrapped_by_an_unknown_authority_is_denied if {
	archived := object.union(cctv, {"rewrap": {"issuer": "some-archive", "rewrappedAt": now - 60}})
	open(auditor, archived) == denied(["rewrap-authority-trust-too-low"])
}

# Producer zones --------------------------------------------------------------------------------

test_data_outside_its_producers_zones_is_denied if {
	open(analyst, with_attributes(footfall, {"zone": "harbour"})) == denied(["producer-zone-mismatch"])
}

test_data_without_zone_from_a_zoned_producer_is_denied if {
	open(analyst, without_attribute(footfall, "zone")) == denied(["producer-zone-mismatch"])
}

test_producer_without_registered_zones_may_state_any if {
	archive := reading("city-archive", "archive/summaries", {"classification": "internal", "zone": "anywhere"})
	open(analyst, archive) == allowed("allowed:analyst-internal", [])
}

# Obligations of the data ----------------------------------------------------------------------

test_special_category_release_is_always_logged if {
	# Even if a grant forgot its log obligation, the data's own obligation stands.
	decision := open(auditor, cctv) with data.ward.authz.role_obligation as set()
	decision == allowed("allowed:auditor-special-category", [{"type": "log"}])
}
