# Roles and what each may do.
#
#   role                    open                                      verify        rewrap
#   operator                public, internal; personal (log)          everything    key-rotation purpose (log)
#   analyst                 public, internal; personal (redact,       everything    -
#                           at most max_age.analyst.personal old)
#   maintenance-contractor  public; internal of the devices, zones,   everything    -
#                           windows (and streams) in its contract
#   emergency-services      public; internal in its zones;            everything    -
#                           personal and special-category in its
#                           zones during a declared emergency
#                           (break-glass: log + notify)
#   auditor                 public; internal, personal, special-      everything    -
#                           category (log)
#   public                  public                                    public only   -
#
# `scope[role]` names the grant a role would use for this action on this classification; a
# presented role without one is denied "classification-not-permitted" ("rewrap-not-permitted"
# for rewrap). `role_denial` holds the conditions of a grant that do not hold, by role, and
# `role_obligation` the duties a grant carries.
package ward.authz

known_roles := {
	"operator",
	"analyst",
	"maintenance-contractor",
	"emergency-services",
	"auditor",
	"public",
}

# The known roles the subject presents; unknown role names are ignored.
acting_roles contains role if {
	some role in strings_or_empty(got(subject, "roles"))
	role in known_roles
}

# Scope: which grant each role would use ------------------------------------------------------

# Public data is public: every known role may open it, in any zone, at any time.
scope[role] := "public" if {
	action == "open"
	classification == "public"
	some role in acting_roles
}

scope["operator"] := concat("-", ["operator", classification]) if {
	"operator" in acting_roles
	action == "open"
	classification in {"internal", "personal"}
}

scope["analyst"] := concat("-", ["analyst", classification]) if {
	"analyst" in acting_roles
	action == "open"
	classification in {"internal", "personal"}
}

scope["auditor"] := concat("-", ["auditor", classification]) if {
	"auditor" in acting_roles
	action == "open"
	classification in {"internal", "personal", "special-category"}
}

# Verification reveals no payload, only the signed facts that travel in the clear: every role
# but the public may verify any envelope (auditors above all); the public only public data.
scope[role] := "verify" if {
	action == "verify"
	some role in acting_roles
	role != "public"
}

scope["public"] := "verify" if {
	action == "verify"
	"public" in acting_roles
	classification == "public"
}

# Re-wrapping (changing who can decrypt, for key rotation) is an operator's job alone.
scope["operator"] := "operator-key-rotation" if {
	"operator" in acting_roles
	action == "rewrap"
}

# A presented role with no grant for this action on this classification.
role_denial contains {"role": role, "reason": not_permitted} if {
	some role in acting_roles
	not scope[role]
}

not_permitted := "rewrap-not-permitted" if {
	action == "rewrap"
} else := "classification-not-permitted"

# Conditions of grants ------------------------------------------------------------------------

# Data age limits by role and classification (data.json max_age, seconds), e.g. analysts see
# personal data only while it is at most 30 days old.
role_denial contains {"role": role, "reason": "data-too-old"} if {
	some role, grant in scope
	grant != "verify"
	limit := got(got(got(config, "max_age"), role), classification)
	is_number(limit)
	data_age > limit
}

# Analysts get personal data only with identifying fields removed; with no fields configured
# the redaction cannot be stated, so the grant does not apply.
role_denial contains {"role": "analyst", "reason": "redaction-not-configured"} if {
	scope.analyst == "analyst-personal"
	count(identifying_fields) == 0
}

identifying_fields := {field | some field in strings_or_empty(got(config, "identifying_fields"))}

role_denial contains {"role": "operator", "reason": "purpose-not-key-rotation"} if {
	scope.operator == "operator-key-rotation"
	got(subject, "purpose") != "key-rotation"
}

# Zone-bound roles act only in the zones they present (subject.zones), and only on data that
# states a zone. Public data and verification are not zone-bound.
zone_bound_roles := {"emergency-services", "maintenance-contractor"}

zone_bound(role) if {
	role in zone_bound_roles
	not scope[role] in {"public", "verify"}
}

role_denial contains {"role": role, "reason": "zone-not-stated"} if {
	some role, _ in scope
	zone_bound(role)
	not is_string(zone)
}

role_denial contains {"role": role, "reason": "outside-zone"} if {
	some role, _ in scope
	zone_bound(role)
	is_string(zone)
	not zone in subject_zones
}

# Obligations of grants -----------------------------------------------------------------------

role_obligation contains {"role": "operator", "obligation": {"type": "log"}} if {
	scope.operator in {"operator-personal", "operator-key-rotation"}
}

role_obligation contains {"role": "analyst", "obligation": {"type": "redact", "fields": sort(identifying_fields)}} if {
	scope.analyst == "analyst-personal"
}

role_obligation contains {"role": "auditor", "obligation": {"type": "log"}} if {
	scope.auditor in {"auditor-internal", "auditor-personal", "auditor-special-category"}
}
