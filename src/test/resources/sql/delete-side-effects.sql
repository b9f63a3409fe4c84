-- Everything that a DELETE on public.refresh_tokens reaches or may be kept from doing, one of each kind,
-- applied after db/demo/auth-schema.sql. public.password_resets stays plain: it has none.
ALTER TABLE public.refresh_tokens ADD COLUMN parent_id uuid
  CONSTRAINT refresh_tokens_parent_fk REFERENCES public.refresh_tokens (id);
CREATE TABLE public.sessions (id serial PRIMARY KEY, token_id uuid
  CONSTRAINT sessions_token_fk REFERENCES public.refresh_tokens (id) ON DELETE CASCADE);
CREATE TABLE public.audit_entries (id serial PRIMARY KEY, token_id uuid
  CONSTRAINT audit_entries_token_fk REFERENCES public.refresh_tokens (id) ON DELETE SET NULL);
CREATE TABLE public.device_links (id serial PRIMARY KEY, token_id uuid
  CONSTRAINT device_links_token_fk REFERENCES public.refresh_tokens (id) ON DELETE SET DEFAULT);
CREATE TABLE public.grants (id serial PRIMARY KEY, token_id uuid
  CONSTRAINT grants_token_fk REFERENCES public.refresh_tokens (id) ON DELETE RESTRICT);
CREATE TABLE public.consents (id serial PRIMARY KEY, token_id uuid
  CONSTRAINT consents_token_fk REFERENCES public.refresh_tokens (id)
  ON DELETE NO ACTION DEFERRABLE INITIALLY DEFERRED);

-- A partitioned table's foreign key is one constraint on the target, however many partitions it has;
-- a foreign key declared on one partition only is a constraint of its own.
CREATE TABLE public.login_events (id int NOT NULL, token_id uuid
  CONSTRAINT login_events_token_fk REFERENCES public.refresh_tokens (id) ON DELETE CASCADE)
  PARTITION BY RANGE (id);
CREATE TABLE public.login_events_1 PARTITION OF public.login_events FOR VALUES FROM (0) TO (1000);
CREATE TABLE public.login_events_2 PARTITION OF public.login_events FOR VALUES FROM (1000) TO (2000);
CREATE TABLE public.archive (id int NOT NULL, token_id uuid) PARTITION BY RANGE (id);
CREATE TABLE public.archive_2026 PARTITION OF public.archive FOR VALUES FROM (0) TO (1000);
ALTER TABLE public.archive_2026 ADD CONSTRAINT archive_2026_token_fk
  FOREIGN KEY (token_id) REFERENCES public.refresh_tokens (id) DEFERRABLE;

-- Reference checks need an index on the referencing columns; public.grants has none, on purpose.
CREATE INDEX ON public.refresh_tokens (parent_id);
CREATE INDEX ON public.sessions (token_id);
CREATE INDEX ON public.audit_entries (token_id);
CREATE INDEX ON public.device_links (token_id);
CREATE INDEX ON public.consents (token_id);
CREATE INDEX ON public.login_events (token_id);
CREATE INDEX ON public.archive_2026 (token_id);

CREATE TABLE public.deletions (token_id uuid);
CREATE FUNCTION public.keep_family_heads() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.parent_id IS NULL THEN
    RETURN NULL;
  END IF;
  RETURN OLD;
END $$;
CREATE FUNCTION public.note_deletion() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO public.deletions VALUES (OLD.id);
  RETURN NULL;
END $$;
CREATE FUNCTION public.nothing() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
CREATE TRIGGER keep_family_heads BEFORE DELETE ON public.refresh_tokens
  FOR EACH ROW EXECUTE FUNCTION public.keep_family_heads();
CREATE TRIGGER "note <deletion> & more" AFTER DELETE ON public.refresh_tokens
  FOR EACH ROW EXECUTE FUNCTION public.note_deletion();
CREATE TRIGGER old_cleanup AFTER DELETE ON public.refresh_tokens
  FOR EACH STATEMENT EXECUTE FUNCTION public.nothing();
ALTER TABLE public.refresh_tokens DISABLE TRIGGER old_cleanup;
-- not a DELETE trigger: not listed
CREATE TRIGGER on_insert BEFORE INSERT OR UPDATE ON public.refresh_tokens
  FOR EACH ROW EXECUTE FUNCTION public.nothing();

CREATE RULE count_deletions AS ON DELETE TO public.refresh_tokens
  DO ALSO INSERT INTO public.deletions VALUES (OLD.id);
CREATE RULE keep_unexpired AS ON DELETE TO public.refresh_tokens
  WHERE OLD.expires_at > now() DO INSTEAD NOTHING;
