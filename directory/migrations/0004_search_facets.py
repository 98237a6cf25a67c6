"""Search columns on the professional: what the directory search filters, counts
and sorts on, kept by ``directory.services.refresh_search`` so that a search reads one table.

- ``search_name``: the user's display name (trigram matching and sorting by name);
- ``discipline_ids``, ``domains``, ``neighbourhood_ids``, ``organisation_ids`` (verified
  memberships only), ``expertise_ids``, ``language_ids``: the filter values, as arrays with one
  GIN index (filters are array containment);
- ``facet_keys``: the same values as one text of keys, "d3 mmedical n1 o12 e7 e40 l2" (a letter
  per facet and the id, or for the domain its code), which the facet counts tally over all hits.

Migration 0005 records them as model fields and ``Meta.indexes``. Also an index on the few
inactive users, so that the search can leave them out without joining every user.
"""

from django.db import migrations

FORWARD = [
    """
    ALTER TABLE directory_professional
        ADD COLUMN IF NOT EXISTS search_name varchar(150) NOT NULL DEFAULT '',
        ADD COLUMN IF NOT EXISTS discipline_ids bigint[] NOT NULL DEFAULT '{}',
        ADD COLUMN IF NOT EXISTS domains text[] NOT NULL DEFAULT '{}',
        ADD COLUMN IF NOT EXISTS neighbourhood_ids bigint[] NOT NULL DEFAULT '{}',
        ADD COLUMN IF NOT EXISTS organisation_ids bigint[] NOT NULL DEFAULT '{}',
        ADD COLUMN IF NOT EXISTS expertise_ids bigint[] NOT NULL DEFAULT '{}',
        ADD COLUMN IF NOT EXISTS language_ids bigint[] NOT NULL DEFAULT '{}',
        ADD COLUMN IF NOT EXISTS facet_keys text NOT NULL DEFAULT ''
    """,
    # Fill them once from the relational tables (later refresh_search keeps them).
    """
    UPDATE directory_professional AS p
    SET search_name = f.name,
        discipline_ids = f.discipline_ids, domains = f.domains,
        neighbourhood_ids = f.neighbourhood_ids, organisation_ids = f.organisation_ids,
        expertise_ids = f.expertise_ids, language_ids = f.language_ids,
        facet_keys = concat_ws(
            ' ',
            (SELECT string_agg('d' || v, ' ' ORDER BY v) FROM unnest(f.discipline_ids) v),
            (SELECT string_agg('m' || v, ' ' ORDER BY v) FROM unnest(f.domains) v),
            (SELECT string_agg('n' || v, ' ' ORDER BY v) FROM unnest(f.neighbourhood_ids) v),
            (SELECT string_agg('o' || v, ' ' ORDER BY v) FROM unnest(f.organisation_ids) v),
            (SELECT string_agg('e' || v, ' ' ORDER BY v) FROM unnest(f.expertise_ids) v),
            (SELECT string_agg('l' || v, ' ' ORDER BY v) FROM unnest(f.language_ids) v)
        )
    FROM (
        SELECT q.id, u.display_name AS name,
            ARRAY(SELECT t.discipline_id FROM directory_professional_disciplines t
                  WHERE t.professional_id = q.id ORDER BY 1) AS discipline_ids,
            ARRAY(SELECT DISTINCT x.domain::text FROM directory_professional_disciplines t
                  JOIN directory_discipline x ON x.id = t.discipline_id
                  WHERE t.professional_id = q.id ORDER BY 1) AS domains,
            ARRAY(SELECT t.neighbourhood_id FROM directory_professional_neighbourhoods t
                  WHERE t.professional_id = q.id ORDER BY 1) AS neighbourhood_ids,
            ARRAY(SELECT t.organisation_id FROM directory_membership t
                  WHERE t.professional_id = q.id AND t.verified ORDER BY 1) AS organisation_ids,
            ARRAY(SELECT t.expertisetag_id FROM directory_professional_expertise t
                  WHERE t.professional_id = q.id ORDER BY 1) AS expertise_ids,
            ARRAY(SELECT t.language_id FROM directory_professional_languages t
                  WHERE t.professional_id = q.id ORDER BY 1) AS language_ids
        FROM directory_professional q JOIN accounts_user u ON u.id = q.user_id
    ) AS f
    WHERE f.id = p.id
    """,
    "CREATE INDEX IF NOT EXISTS professional_name_trgm "
    "ON directory_professional USING gin (search_name gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS professional_facets_gin ON directory_professional USING gin "
    "(discipline_ids, domains, neighbourhood_ids, organisation_ids, expertise_ids, language_ids)",
    "CREATE INDEX IF NOT EXISTS professional_listed_name "
    "ON directory_professional (search_name, id) WHERE verified",
    "CREATE INDEX IF NOT EXISTS user_inactive ON accounts_user (id) WHERE NOT is_active",
]
BACKWARD = [
    "DROP INDEX IF EXISTS user_inactive",
    "DROP INDEX IF EXISTS professional_listed_name",
    "DROP INDEX IF EXISTS professional_facets_gin",
    "DROP INDEX IF EXISTS professional_name_trgm",
    """
    ALTER TABLE directory_professional
        DROP COLUMN IF EXISTS search_name, DROP COLUMN IF EXISTS discipline_ids,
        DROP COLUMN IF EXISTS domains, DROP COLUMN IF EXISTS neighbourhood_ids,
        DROP COLUMN IF EXISTS organisation_ids, DROP COLUMN IF EXISTS expertise_ids,
        DROP COLUMN IF EXISTS language_ids, DROP COLUMN IF EXISTS facet_keys
    """,
]


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0003_search_indexes"),
        ("accounts", "0002_roles"),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
