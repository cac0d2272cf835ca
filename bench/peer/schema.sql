-- What PostGraphile sees of the benchmark database: a schema `peer` of views that carry the same
-- public rules as Linzhi's anonymous reads and bench/floor.py's SQL (q2-q4, o1, f1), plus q4's
-- function running Linzhi's own rollup statement. Applied by bench/peer.py (`-- UNIT_COUNTS_SQL --`
-- is replaced by domain.activities.rollup.UNIT_COUNTS_SQL, its `?` by the function's variables, in
-- order; each double-braced name by the domain's labels or status set, `domain_sql`) and dropped
-- again when the run ends. Views are inlined by PostgreSQL, so the indexes of the tables serve
-- them; smart tags declare the keys PostGraphile cannot read off a view.

DROP SCHEMA IF EXISTS peer CASCADE;
CREATE SCHEMA peer;

CREATE VIEW peer.grid_cell AS
  SELECT id, code, name, kind, retired FROM public.grid_cell;
COMMENT ON VIEW peer.grid_cell IS E'@primaryKey id';
-- A view's columns are nullable as far as PostGraphile knows: the tables' NOT NULL, restated.
COMMENT ON COLUMN peer.grid_cell.code IS E'@notNull';
COMMENT ON COLUMN peer.grid_cell.name IS E'@notNull';
COMMENT ON COLUMN peer.grid_cell.kind IS E'@notNull';
COMMENT ON COLUMN peer.grid_cell.retired IS E'@notNull';

CREATE VIEW peer.cohort AS
  SELECT id, name FROM public.cohort;
COMMENT ON VIEW peer.cohort IS E'@primaryKey id';
COMMENT ON COLUMN peer.cohort.name IS E'@notNull';

-- The leader directory: every leader (q3 names withdrawn ones too), `active` for a cell's current
-- leaders (q2, as `domain.leaders.queries.active_leaders`), the name masked as an anonymous reader
-- sees it (first character, then one star per further character, at least one).
CREATE VIEW peer.micro_leader AS
  SELECT l.id, l.home_cell_id, l.cohort_id, l.source_role, l.status,
         l.status <> 'WITHDRAWN' AS active,
         CASE WHEN p.name = '' THEN p.name
              ELSE left(p.name, 1) || repeat('*', greatest(length(p.name) - 1, 1)) END AS name
  FROM public.micro_leader l JOIN public.person p ON p.id = l.person_id;
COMMENT ON VIEW peer.micro_leader IS E'@primaryKey id\n@foreignKey (home_cell_id) references peer.grid_cell (id)\n@foreignKey (cohort_id) references peer.cohort (id)';
COMMENT ON COLUMN peer.micro_leader.home_cell_id IS E'@notNull';
COMMENT ON COLUMN peer.micro_leader.cohort_id IS E'@notNull';
COMMENT ON COLUMN peer.micro_leader.source_role IS E'@notNull';
COMMENT ON COLUMN peer.micro_leader.status IS E'@notNull';
COMMENT ON COLUMN peer.micro_leader.active IS E'@notNull';
COMMENT ON COLUMN peer.micro_leader.name IS E'@notNull';

-- The public feed (`domain.activities.policy`): verified records made public, shown at their grid,
-- the recording leader only when the record's details are public.
CREATE VIEW peer.activity AS
  SELECT id, title, started_at, town_id,
         coalesce(grid_id, cell_id) AS cell_id,
         CASE WHEN details_public THEN leader_id END AS leader_id
  FROM public.activity WHERE status = 'VERIFIED' AND is_public;
COMMENT ON VIEW peer.activity IS E'@primaryKey id\n@foreignKey (cell_id) references peer.grid_cell (id)\n@foreignKey (leader_id) references peer.micro_leader (id)';
COMMENT ON COLUMN peer.activity.title IS E'@notNull';
COMMENT ON COLUMN peer.activity.started_at IS E'@notNull';
COMMENT ON COLUMN peer.activity.cell_id IS E'@notNull';

-- q4: one row per unit and type, as bench/floor.py's Q4_SQL. PL/pgSQL, so the statement's plan
-- is kept per connection (a LANGUAGE sql function that cannot be inlined is planned on every call)
-- and follows the role's plan_cache_mode like every prepared statement.
CREATE TYPE peer.unit_count AS (unit_id integer, unit_name text, activity_type text, n bigint);

CREATE FUNCTION peer.activity_counts_by_unit(town integer, since timestamptz, until timestamptz)
RETURNS SETOF peer.unit_count LANGUAGE plpgsql STABLE AS $fn$
DECLARE
  -- the Shanghai calendar (UTC+8, as domain.clock.SHANGHAI): whole months inside [since, until)
  local_since timestamp := (since AT TIME ZONE 'UTC') + interval '8 hours';
  local_until timestamp := (until AT TIME ZONE 'UTC') + interval '8 hours';
  first_local timestamp := date_trunc('month', local_since);
  last_local timestamp := date_trunc('month', local_until);
  first_m timestamptz;
  last_m timestamptz;
  m1 integer := 0;
  m2 integer := 0;
  l0 timestamptz := since;
  l1 timestamptz := until;
  r0 timestamptz := until;
  r1 timestamptz := until;
  verified text := 'VERIFIED';
BEGIN
  IF first_local < local_since THEN
    first_local := first_local + interval '1 month';
  END IF;
  IF first_local < last_local THEN
    first_m := (first_local - interval '8 hours') AT TIME ZONE 'UTC';
    last_m := (last_local - interval '8 hours') AT TIME ZONE 'UTC';
    m1 := to_char(first_local, 'YYYYMM')::integer;
    m2 := to_char(last_local, 'YYYYMM')::integer;
    l1 := first_m;
    r0 := last_m;
  END IF;
  RETURN QUERY
    SELECT a.unit_id, g.name::text, a.activity_type::text, a.n
    FROM (-- UNIT_COUNTS_SQL --) a
    JOIN public.grid_cell g ON g.id = a.unit_id
    ORDER BY a.unit_id, a.activity_type;
END
$fn$;
COMMENT ON FUNCTION peer.activity_counts_by_unit(integer, timestamptz, timestamptz) IS E'@behavior -connection +list';

-- o1, the organisation directory (`domain.organisations.queries.directory_filter`): organisations
-- still on the register (not deregistered). The labels are the domain's: each double-braced name is
-- replaced by bench.peer (`domain_sql`) with a CASE over the domain's label dictionary.
CREATE VIEW peer.listed_organisation AS
  SELECT id, name, {{legal_form_label}}, {{field_label}}, status, {{org_status_label}},
         rating, rating_valid_until, is_demo, town_id, home_cell_id
  FROM public.organisation WHERE status <> 'DEREGISTERED';
COMMENT ON VIEW peer.listed_organisation IS E'@primaryKey id\n@foreignKey (home_cell_id) references peer.grid_cell (id)';
COMMENT ON COLUMN peer.listed_organisation.name IS E'@notNull';
COMMENT ON COLUMN peer.listed_organisation.legal_form_label IS E'@notNull';
COMMENT ON COLUMN peer.listed_organisation.field_label IS E'@notNull';
COMMENT ON COLUMN peer.listed_organisation.status IS E'@notNull';
COMMENT ON COLUMN peer.listed_organisation.status_label IS E'@notNull';
COMMENT ON COLUMN peer.listed_organisation.is_demo IS E'@notNull';
COMMENT ON COLUMN peer.listed_organisation.home_cell_id IS E'@notNull';

-- Any organisation by id (an applicant stays named in the results after it is deregistered).
CREATE VIEW peer.organisation AS
  SELECT id, name FROM public.organisation;
COMMENT ON VIEW peer.organisation IS E'@primaryKey id';
COMMENT ON COLUMN peer.organisation.name IS E'@notNull';

-- f1, a round's published results (`domain.funding.queries.public_result`): the round past its
-- results' publicity, the application among the results (the double-braced names: the domain's
-- PUBLISHED_STATUSES and RESULT_STAGES, and its labels, from bench.peer's `domain_sql`).
CREATE VIEW peer.funding_result AS
  SELECT a.id, a.round_id, a.project_name, a.status, {{app_status_label}}, a.award_fen, a.is_demo,
         a.organisation_id
  FROM public.funding_application a
  WHERE a.status IN ({{published_statuses}})
    AND EXISTS (SELECT 1 FROM public.funding_round r WHERE r.id = a.round_id AND r.stage IN ({{result_stages}}));
COMMENT ON VIEW peer.funding_result IS E'@primaryKey id\n@foreignKey (organisation_id) references peer.organisation (id)';
COMMENT ON COLUMN peer.funding_result.round_id IS E'@notNull';
COMMENT ON COLUMN peer.funding_result.project_name IS E'@notNull';
COMMENT ON COLUMN peer.funding_result.status IS E'@notNull';
COMMENT ON COLUMN peer.funding_result.status_label IS E'@notNull';
COMMENT ON COLUMN peer.funding_result.is_demo IS E'@notNull';
COMMENT ON COLUMN peer.funding_result.organisation_id IS E'@notNull';
