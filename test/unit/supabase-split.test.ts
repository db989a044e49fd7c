import { describe, expect, it } from 'vitest';
import { splitLikeSupabase, splitSupabaseTokens } from '../../adapters/sql/supabase-split.js';

/**
 * The port of the Supabase CLI's statement splitter (supabase/cli @ 1d1e7191, apps/cli-go/pkg/parser).
 *
 * The first part repeats the CLI's own tests. They call `parser.Split` without transforms and
 * check that the tokens come back exactly as written (`checkSplit` in state_test.go joins the
 * expected tokens into the input); `splitSupabaseTokens` is that function here. The second part
 * checks `splitLikeSupabase` (`parser.SplitAndTrim`, what lands in `statements`) on the shapes
 * real migration files have. Every expectation below was also checked against the CLI's Go code.
 */

/** state_test.go's checkSplit: the input is the tokens joined, and must split back into them. */
function checkSplit(tokens: string[]): void {
  expect(splitSupabaseTokens(tokens.join(''))).toEqual(tokens);
}

describe('the Supabase CLI parser tests (pkg/parser/state_test.go)', () => {
  it('TestLineComment', () => {
    checkSplit(['END;', '-- comment']); // after separator
    checkSplit(['SELECT --; 1']); // before separator
    checkSplit(['- ;', 'END']); // not started
    checkSplit(['-- /* \n;', ' */ END']); // between lines
  });

  it('TestBlockComment', () => {
    checkSplit(['SELECT /* ; */ 1;']); // contains separator
    checkSplit(['SELECT /*; /*;*/ ;*/ 1']); // nested block
    checkSplit(['/ * ;', ' */ END']); // not started
  });

  it('TestSeparator', () => {
    checkSplit([';', 'END;', ';']); // no spaces
    checkSplit(['BEGIN   ;', '  END']); // between spaces
    checkSplit(['\\;;', '\\;']); // backslash escaped
  });

  it('TestDollarQuote', () => {
    checkSplit(['$tag$ any ; string$tag$']); // named tag
    checkSplit(['$$"Dane\'s horse"$$']); // anonymous tag
    checkSplit(['SELECT "$";', ' $$']); // not started
  });

  it('TestSingleQuote', () => {
    checkSplit(["SELECT ';' 1"]); // escapes separator
    checkSplit(["SELECT ';'';' 1"]); // preserves single quote
    checkSplit(["SELECT '\\';", " 1'"]); // literal backslash
  });

  it('TestDoubleQuote', () => {
    checkSplit(['CREATE POLICY "cats;dogs" on cats_dogs;', ' END']);
    checkSplit(['CREATE POLICY "cat\'s and dog\'s" on cats_dogs;', ' END']);
    checkSplit(['CREATE POLICY "pet""name" on pets;', ' END']);
  });

  it('TestParentheses', () => {
    checkSplit(['CREATE RULE notify_me AS ON UPDATE TO mytable DO (NOTIFY mytable; SELECT "1");', 'SELECT 1']);
    checkSplit(["CREATE RULE notify_me AS ON UPDATE TO mytable DO (-- )\nSELECT ')';\n-- )\n)\n"]);
  });

  it('TestBeginAtomic', () => {
    checkSplit([
      `CREATE FUNCTION add(a integer, b integer) RETURNS integer
LANGUAGE SQL
IMMUTABLE STRICT PARALLEL SAFE
RETURNS NULL ON NULL INPUT
BEGIN ATOMIC
	SELECT 'add';
	SELECT a + b;
END;`,
    ]); // inline body
    checkSplit(["begin atomic; select 'end'; end"]); // case insensitive
    checkSplit(['CREATE FUNCTION test() BEGIN\nATOMIC-- END;\n-- END;\nEND\n;']); // ignores literals
  });

  it('TestBeginAtomic: ignores atomic in identifiers', () => {
    for (const name of ['fn_atomic', 'atomic_fn', 'my_atomic_thing', 'xatomicx', 'fn_ATomiC']) {
      checkSplit([`CREATE OR REPLACE FUNCTION ${name}()\nRETURNS void LANGUAGE plpgsql AS $$\nBEGIN\n  NULL;\nEND;\n$$;`, '\nSELECT 1;']);
    }
    checkSplit([
      'CREATE OR REPLACE FUNCTION public.atomic_example()\nRETURNS INTEGER\nLANGUAGE plpgsql\nAS $$\nBEGIN\n  RETURN 1;\nEND;\n$$;',
      '\nGRANT EXECUTE ON FUNCTION public.atomic_example() TO authenticated;',
    ]);
  });
});

describe('the Supabase CLI fixture (pkg/parser/token_test.go TestSplit, testdata/split_*.sql)', () => {
  // Five of the 18 fixtures (two abridged); testdata/all.sql is all 18 concatenated plus "\n".
  const fixtures = [
    'CREATE SCHEMA "blocks";',
    `

CREATE TABLE "blocks"."placement"
(
    location_name   CHARACTER VARYING   NOT NULL,
    index           INT                 NOT NULL,
    excluded_scopes CHARACTER VARYING [],

    -- NOTE: Because we UPDATE the primary (location_name, index) key on the placement-table,
    -- the constraint behavior on the primary key is set to DEFERRABLE and INITIALLY IMMEDIATE.

    CONSTRAINT placement_location_name_index_pk PRIMARY KEY (location_name, index) DEFERRABLE INITIALLY IMMEDIATE
);`,
    `

CREATE VIEW "blocks"."block_count" AS
    SELECT
        b."uuid"                               AS "block_uuid",
        (
            (SELECT COUNT(*)
                FROM "blocks"."placement" p
                WHERE p."block_uuid" = b."uuid")
            +
            (SELECT COALESCE(SUM((SELECT COUNT(*)
                                    FROM unnest(c."child_uuids") cb
                                    WHERE cb = b."uuid")), 0)
                FROM "blocks"."child_blocks" c)
        )                                      AS "ref_count"
    FROM "blocks"."block" b;`,
    `

CREATE OR REPLACE FUNCTION "blocks".delete_orphaned_blocks()
    RETURNS TRIGGER
AS $$
BEGIN
    LOOP
        -- Note that RETURN QUERY does not return from the function - it works
        -- more like the yield-statement in PHP, in that records from the
        -- DELETE..RETURNING statement are returned, and execution then
        -- resumes from the following statement.

        DELETE FROM "blocks"."block" b
        WHERE b.uuid IN (
            SELECT c.block_uuid
            FROM "blocks"."block_count" c
            WHERE c.ref_count = 0 AND c.user_count = 0
        );

        EXIT WHEN NOT FOUND;
    END LOOP;

    RETURN NULL;
END;
$$
LANGUAGE plpgsql;`,
    `

CREATE TRIGGER delete_orphans
AFTER UPDATE OR DELETE
    ON "blocks"."user_bucket"
FOR EACH STATEMENT
EXECUTE PROCEDURE "blocks".delete_orphaned_blocks();`,
  ];
  const file = `${fixtures.join('')}\n`;

  it('Split keeps every token as written, the final newline included', () => {
    expect(splitSupabaseTokens(file)).toEqual([...fixtures, '\n']);
  });

  it('SplitAndTrim drops the semicolons, the surrounding whitespace and the blank final token', () => {
    expect(splitLikeSupabase(file)).toEqual(fixtures.map((f) => f.slice(0, -1).trim()));
  });
});

describe('splitLikeSupabase on real-world migration shapes', () => {
  it('keeps $$ and $fn$ bodies with semicolons in one element', () => {
    const plpgsql = 'create function public.touch() returns trigger language plpgsql as $$\nbegin\n  new.updated_at = now();\n  return new;\nend;\n$$';
    const tagged = "create function public.g() returns text language sql as $fn$ select '$$;'; $fn$";
    expect(splitLikeSupabase(`${plpgsql};\n\n${tagged};\nselect 1;\n`)).toEqual([plpgsql, tagged, 'select 1']);
  });

  it('keeps DO blocks whole', () => {
    const block = "do $$ begin raise notice 'a;b'; perform 1; end $$";
    expect(splitLikeSupabase(`${block};`)).toEqual([block]);
  });

  it('stores BEGIN and COMMIT as elements of their own', () => {
    expect(splitLikeSupabase('BEGIN;\ncreate table a (id int);\nCOMMIT;\n')).toEqual(['BEGIN', 'create table a (id int)', 'COMMIT']);
  });

  it('keeps a leading comment with its statement and makes a trailing comment its own element', () => {
    const sql = '-- drop table x; not really\ncreate table x (id int); -- trailing; comment\n';
    expect(splitLikeSupabase(sql)).toEqual(['-- drop table x; not really\ncreate table x (id int)', '-- trailing; comment']);
  });

  it('stores a comment-only file as one element', () => {
    expect(splitLikeSupabase('-- nothing to do yet\n')).toEqual(['-- nothing to do yet']);
  });

  it('skips nested /* */ comments', () => {
    expect(splitLikeSupabase('/* outer /* inner; */ still; */ select 1; select 2')).toEqual(['/* outer /* inner; */ still; */ select 1', 'select 2']);
  });

  it('does not split inside quoted identifiers or string literals', () => {
    expect(splitLikeSupabase('create table "a;b" ("c;d" int);\ninsert into "a;b" values (\';\');')).toEqual(['create table "a;b" ("c;d" int)', 'insert into "a;b" values (\';\')']);
    expect(splitLikeSupabase("select 'it''s; fine'; select 2;")).toEqual(["select 'it''s; fine'", 'select 2']);
  });

  it("reads E'\\'' like the CLI does, not like PostgreSQL: the backslash does not escape", () => {
    // PostgreSQL sees two statements; the CLI's quote state treats \'' as a closed-then-reopened
    // quote and runs on to the end of the file.
    expect(splitLikeSupabase("select E'\\''; select 1;")).toEqual(["select E'\\''; select 1"]);
    expect(splitLikeSupabase("select E'it\\'s'; select 2; select 'x';")).toEqual(["select E'it\\'s'; select 2; select 'x'"]);
    // A doubled backslash is harmless.
    expect(splitLikeSupabase("select E'a\\\\b'; select 2;")).toEqual(["select E'a\\\\b'", 'select 2']);
  });

  it('splits the statements of a pg_dump / supabase db dump header', () => {
    const sql = [
      'SET statement_timeout = 0;',
      'SET lock_timeout = 0;',
      'set check_function_bodies = off;',
      "SELECT pg_catalog.set_config('search_path', '', false);",
      'SET client_min_messages = warning;',
      '',
    ].join('\n');
    expect(splitLikeSupabase(sql)).toEqual([
      'SET statement_timeout = 0',
      'SET lock_timeout = 0',
      'set check_function_bodies = off',
      "SELECT pg_catalog.set_config('search_path', '', false)",
      'SET client_min_messages = warning',
    ]);
  });

  it('keeps a BEGIN ATOMIC body whole until its END', () => {
    const fn = 'create function add(a int, b int) returns int language sql\nbegin atomic\n  select a + b;\n  select 1;\nend';
    expect(splitLikeSupabase(`${fn};\ncreate table t (id int);`)).toEqual([fn, 'create table t (id int)']);
  });

  it('closes BEGIN ATOMIC at any "end", even inside a word (a CLI quirk)', () => {
    const sql = 'CREATE FUNCTION f() RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  UPDATE t SET legend = 1;\n  SELECT 1;\nEND;';
    expect(splitLikeSupabase(sql)).toEqual(['CREATE FUNCTION f() RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  UPDATE t SET legend = 1', 'SELECT 1', 'END']);
  });

  it('closes every open parenthesis at the first ")" (a CLI quirk)', () => {
    const sql = 'create rule r as on insert to t do also (insert into log (id) values (new.id); notify t);';
    expect(splitLikeSupabase(sql)).toEqual(['create rule r as on insert to t do also (insert into log (id) values (new.id)', 'notify t)']);
  });

  it('handles CRLF line endings, keeping inner CRLFs and trimming the outer ones', () => {
    expect(splitLikeSupabase('create table a (id int);\r\ncreate table b (id int);\r\n')).toEqual(['create table a (id int)', 'create table b (id int)']);
    expect(splitLikeSupabase('-- note;\r\nselect\r\n  1;\r\n')).toEqual(['-- note;\r\nselect\r\n  1']);
  });

  it('keeps a final statement without a semicolon', () => {
    expect(splitLikeSupabase('select 1;\nselect 2\n')).toEqual(['select 1', 'select 2']);
    expect(splitLikeSupabase('select 1 -- no semicolon;')).toEqual(['select 1 -- no semicolon']);
  });

  it('drops empty statements and blank files', () => {
    expect(splitLikeSupabase(';;\n ; select 1;;; \n;')).toEqual(['select 1']);
    expect(splitLikeSupabase('')).toEqual([]);
    expect(splitLikeSupabase('  \n\t\r\n')).toEqual([]);
    expect(splitLikeSupabase(';;;')).toEqual([]);
  });

  it("trims with Go's whitespace: keeps a UTF-8 BOM, strips U+0085 and U+00A0", () => {
    expect(splitLikeSupabase('\uFEFFcreate table a ();\n')).toEqual(['\uFEFFcreate table a ()']);
    expect(splitLikeSupabase('\u0085select 1\u00A0;\uFEFF;')).toEqual(['select 1', '\uFEFF']);
  });

  it('takes a backslash outside quotes as an escape of the next character', () => {
    expect(splitLikeSupabase('select 1 \\; select 2;')).toEqual(['select 1 \\; select 2']);
  });

  it('opens dollar quotes only for ASCII tags (a CLI quirk), but allows any text inside', () => {
    expect(splitLikeSupabase('select $t$ é; ü 😀 $t$; select 2')).toEqual(['select $t$ é; ü 😀 $t$', 'select 2']);
    expect(splitLikeSupabase('$é$ a ; b $é$; c')).toEqual(['$é$ a', 'b $é$', 'c']);
  });

  it('reads $ inside identifiers as the start of a tag (a CLI quirk)', () => {
    expect(splitLikeSupabase('select x$1 from t; select 2;')).toEqual(['select x$1 from t', 'select 2']);
    expect(splitLikeSupabase('select 1 as a$b$; select 2; select 3 as c$b$;')).toEqual(['select 1 as a$b$; select 2; select 3 as c$b$']);
  });

  it('gives back the input when the tokens are joined', () => {
    const sql = '\uFEFF-- x;\r\nselect \'a;b\', $q$;$q$, "c;" /* ; */;\n\n(;) begin atomic ; end ; tail';
    expect(splitSupabaseTokens(sql).join('')).toBe(sql);
  });
});
