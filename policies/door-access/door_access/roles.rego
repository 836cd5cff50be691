# The record's own constraints, the roles, their grants, denials and obligations.
package door_access

# The policy's data (data.json, at data.door_access.config); empty when none was loaded, which
# denies every open: no door controller is known.
settings := c if {
	c := data.door_access.config
	is_object(c)
} else := {}

controllers := object.get(settings, "controllers", {})

managers := object.get(settings, "managers", {})

warrants := object.get(settings, "warrants", {})

records_officer := object.get(settings, "records_officer", null)

# What an auditor's redact obligation removes (SPEC.md §Obligations: events[].badge is the
# badge of every element of events).
audit_redaction := strings_or_empty(object.get(settings, "audit_redaction", []))

# The record ----------------------------------------------------------------------------------

controller := got(controllers, got(resource, "issuer"))

record_denial contains "building-not-stated" if {
	action == "open"
	not is_string(building)
}

# A record signed by a key Ward trusts, but not by a door controller this policy knows.
record_denial contains "unknown-controller" if {
	action == "open"
	not is_object(controller)
}

# A controller registered to one building cannot speak for another's doors.
record_denial contains "building-mismatch" if {
	action == "open"
	is_string(building)
	is_object(controller)
	got(controller, "building") != building
}

# Roles ---------------------------------------------------------------------------------------

known_roles := {"tenant", "building-manager", "police", "auditor"}

acting_roles := {role | some role in subject_roles; role in known_roles}

open_grants := {
	"tenant": "tenant-own-events",
	"building-manager": "building-manager",
	"police": "police-warrant",
	"auditor": "auditor-redacted",
}

# grant[role]: the grant a presented role asks for with this action. verify releases only the
# signed facts, so every known role may verify; nobody re-wraps door records.
grant[role] := open_grants[role] if {
	action == "open"
	some role in acting_roles
}

grant[role] := "verify" if {
	action == "verify"
	some role in acting_roles
}

grant[role] := "rewrap" if {
	action == "rewrap"
	some role in acting_roles
}

role_denial contains {"role": role, "reason": "rewrap-not-permitted"} if {
	action == "rewrap"
	some role in acting_roles
}

role_denial contains {"role": "tenant", "reason": reason} if {
	action == "open"
	"tenant" in acting_roles
	some reason in tenant_denial
}

role_denial contains {"role": "building-manager", "reason": reason} if {
	action == "open"
	"building-manager" in acting_roles
	some reason in manager_denial
}

role_denial contains {"role": "police", "reason": reason} if {
	action == "open"
	"police" in acting_roles
	some reason in police_denial
}

role_denial contains {"role": "auditor", "reason": reason} if {
	action == "open"
	"auditor" in acting_roles
	some reason in auditor_denial
}

# Tenants: only the events of their own doors.

tenant_denial contains "tenant-not-stated" if not is_string(tenant)

tenant_denial contains "not-own-tenant" if {
	is_string(tenant)
	tenant != subject_id
}

# Building managers: the buildings data.json assigns them.

manager := got(managers, subject_id)

manager_denial contains "not-a-manager" if not is_object(manager)

manager_denial contains "outside-managed-building" if {
	is_object(manager)
	not building in strings_or_empty(got(manager, "buildings"))
}

# Police: only under a warrant, named in the caller's context, issued to this officer, for
# this building (and tenant, when it names tenants), covering when the events happened, and
# not expired.

warrant := got(warrants, warrant_id)

police_denial contains "warrant-missing" if not is_string(warrant_id)

police_denial contains "warrant-unknown" if {
	is_string(warrant_id)
	not is_object(warrant)
}

police_denial contains "warrant-not-for-subject" if {
	is_object(warrant)
	got(warrant, "subject") != subject_id
}

police_denial contains "warrant-not-for-building" if {
	is_object(warrant)
	not building in strings_or_empty(got(warrant, "buildings"))
}

police_denial contains "warrant-not-for-tenant" if {
	is_array(got(warrant, "tenants"))
	not tenant in warrant.tenants
}

police_denial contains "record-outside-warrant-period" if {
	is_object(warrant)
	not within_warrant_period
}

# The warrant covers [from, until): the events' record was issued in that period.
within_warrant_period if {
	is_number(got(warrant, "from"))
	is_number(got(warrant, "until"))
	issued_at >= warrant.from
	issued_at < warrant.until
}

police_denial contains "warrant-expired" if {
	is_object(warrant)
	not warrant_in_force
}

warrant_in_force if {
	is_number(got(warrant, "expires"))
	now < warrant.expires
}

police_denial contains "records-officer-not-configured" if not non_empty_string(records_officer)

# Auditors: every record, with the badges and names removed.

auditor_denial contains "redaction-not-configured" if count(audit_redaction) == 0

# Obligations (only on open: verify and rewrap release no payload) ------------------------------

role_obligation contains {"role": "building-manager", "obligation": {"type": "log"}} if action == "open"

role_obligation contains {"role": "police", "obligation": {"type": "log"}} if action == "open"

role_obligation contains {"role": "police", "obligation": {"type": "notify", "to": records_officer}} if action == "open"

role_obligation contains {"role": "auditor", "obligation": {"type": "log"}} if action == "open"

role_obligation contains {"role": "auditor", "obligation": {"type": "redact", "fields": sort(audit_redaction)}} if action == "open"
