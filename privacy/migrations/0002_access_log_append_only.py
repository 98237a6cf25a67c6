"""The access log refuses UPDATE and DELETE, except deleting entries older than
five years (the NEN 7513 minimum; the purge command keeps them longer if configured).

TRUNCATE is not blocked: the table's owner can always get around a trigger, and the test suite
empties tables that way. The hash chain (``manage.py verify_access_log``) is what detects such
edits.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION privacy_access_log_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND OLD.occurred_at < now() - interval '5 years' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'privacy_accesslogentry is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER privacy_access_log_append_only
    BEFORE UPDATE OR DELETE ON privacy_accesslogentry
    FOR EACH ROW EXECUTE FUNCTION privacy_access_log_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS privacy_access_log_append_only ON privacy_accesslogentry;
DROP FUNCTION IF EXISTS privacy_access_log_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("privacy", "0001_initial")]

    operations = [migrations.RunSQL(CREATE, DROP)]
