import { randomBytes } from 'node:crypto';
import type { Queryable } from '../adapter/contract.js';

/**
 * Whether two client connections each have a PostgreSQL session of their own for as long as they
 * are open — what session-level advisory locks and the step protocol rely on, and what a
 * transaction-mode pooler (PgBouncer pool_mode=transaction, Supavisor, Neon's -pooler hosts) does
 * not give: there a server session serves a client for one transaction, then whichever client is
 * next. No pooler announces itself, so the probe watches for that behaviour, on the two
 * connections a run opens anyway, in four queries (turns A, B, B, A). Each query
 * - reads its server pid: it must stay the same on a connection, and differ between the two (two
 *   open connections never share a session; through a pool of one server they always do);
 * - reads its session's local transaction number (pg_locks' virtualtransaction "3/145": one more
 *   for every transaction the session runs): it should be one more than at this connection's last
 *   query — a pooled session that served any other client in between shows a jump. So does, now
 *   and then, a session of its own: an idle backend catching up on cache invalidations runs an
 *   empty transaction when the server is busy with DDL. A jump alone therefore only repeats the
 *   probe (up to ATTEMPTS times); it refuses when every attempt shows one;
 * - reads, then sets, a session marker (`polymigrate.session_probe`): it must be the one this
 *   connection set last, and never the other connection's;
 * - reads the other connection's session in pg_stat_activity: its last query must still be the
 *   probe query that connection sent (a pooled session that served anyone since shows theirs).
 * The turn order defeats both ways a pooler picks an idle server session: most recently used
 * first (PgBouncer's default; B's first query is handed A's session) and in rotation
 * (server_round_robin, other poolers; B's two queries in a row get two different sessions). What
 * remains is a pooler that by chance keeps both connections on sessions nobody else touches for
 * the whole probe — for that instant it is a session pooler, and the lock's own checks
 * (src/lock/advisory-lock.ts) refuse as soon as it stops being one.
 */

export const SESSION_PROBE_SETTING = 'polymigrate.session_probe';
const TURNS = ['A', 'B', 'B', 'A'] as const;
const ATTEMPTS = 4;

export interface ProbedConnection {
  /** How the refusal names it: "the lock connection". */
  name: string;
  db: Queryable;
}

interface Side extends ProbedConnection {
  pid?: number;
  /** The local transaction number of this side's last query. */
  lxid?: number;
  /** The marker this side set last, and the exact text of its last probe query. */
  marker?: string;
  lastQuery?: string;
}

interface ProbeRow extends Record<string, unknown> {
  pid: number;
  vxid: string | null;
  marker: string | null;
  other: string | null;
}

/** Only digits and hex reach the text (pids, the random token): it is sent as literal text, so pg_stat_activity shows it whole. */
function probeQuery(setTo: string | null, other: Side): string {
  const value = setTo === null ? 'NULL' : `'${setTo}'`;
  const otherQuery = other.pid === undefined ? 'NULL::text' : `(SELECT query FROM pg_stat_activity WHERE pid = ${other.pid})`;
  // The marker is read in a materialized CTE, before the target list sets the next one.
  return (
    `/* polymigrate session probe */ WITH before AS MATERIALIZED (SELECT current_setting('${SESSION_PROBE_SETTING}', true) AS marker) ` +
    `SELECT pg_backend_pid() AS pid, before.marker, ${otherQuery} AS other, ` +
    `(SELECT virtualtransaction FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'virtualxid' LIMIT 1) AS vxid, ` +
    `set_config('${SESSION_PROBE_SETTING}', ${value}, false) AS set FROM before`
  );
}

/** "3/145" → 145. */
function localXid(vxid: string | null): number | undefined {
  const n = Number(vxid?.split('/')[1]);
  return Number.isInteger(n) ? n : undefined;
}

/** pg_stat_activity hides other sessions' queries from roles without pg_read_all_stats, and when tracking is off. */
function readable(query: string | null): query is string {
  return query !== null && query !== '' && !query.startsWith('<');
}

interface Finding {
  evidence: string;
  /** False for what a session of its own can also show, now and then (a transaction-number jump). */
  certain: boolean;
}

function check(side: Side, other: Side, row: ProbeRow, token: string): Finding | undefined {
  const certain = (evidence: string) => ({ evidence, certain: true });
  if (side.pid !== undefined && row.pid !== side.pid) {
    return certain(`${side.name}'s queries ran on server session ${side.pid}, then on ${row.pid}`);
  }
  if (row.pid === other.pid) {
    return certain(`${other.name} and ${side.name}, both open, were served by the same server session (pid ${row.pid})`);
  }
  if (side.marker === undefined && row.marker?.includes(token)) {
    return certain(`${side.name}'s first query found a setting ${other.name} had made in its session`);
  }
  if (side.marker !== undefined && row.marker !== side.marker) {
    return certain(`a session setting ${side.name} made was ${row.marker ? `"${row.marker}"` : 'gone'} in its next transaction`);
  }
  if (other.lastQuery !== undefined && readable(row.other) && row.other !== other.lastQuery) {
    return certain(`server session ${other.pid} of ${other.name} ran another client's query between two of ${other.name}'s`);
  }
  const lxid = localXid(row.vxid);
  if (side.lxid !== undefined && lxid !== undefined && lxid !== side.lxid + 1) {
    return { evidence: `server session ${row.pid} ran ${lxid - side.lxid - 1} other transaction(s) between two of ${side.name}'s`, certain: false };
  }
  return undefined;
}

/** One pass of the four turns: the first certain finding, else the first uncertain one, else nothing. */
async function probeOnce(a: ProbedConnection, b: ProbedConnection): Promise<Finding | undefined> {
  const token = randomBytes(8).toString('hex');
  const sides: Record<'A' | 'B', Side> = { A: { ...a }, B: { ...b } };
  let uncertain: Finding | undefined;
  for (const [turn, name] of TURNS.entries()) {
    const side = sides[name];
    const other = sides[name === 'A' ? 'B' : 'A'];
    const marker = TURNS.indexOf(name, turn + 1) === -1 ? null : `${token}:${name}:${turn}`;
    const text = probeQuery(marker, other);
    const row = (await side.db.query<ProbeRow>(text)).rows[0]!;
    const finding = check(side, other, row, token);
    if (finding?.certain) return finding;
    uncertain ??= finding;
    Object.assign(side, { pid: row.pid, lxid: localXid(row.vxid), lastQuery: text, ...(marker ? { marker } : {}) });
  }
  return uncertain;
}

/**
 * Run the probe on two open connections to one database: what gave a pooler away, or undefined
 * when both behaved as sessions of their own. Leaves nothing behind: each connection's last probe
 * query resets the marker.
 */
export async function probeSessionPinning(a: ProbedConnection, b: ProbedConnection): Promise<string | undefined> {
  let finding: Finding | undefined;
  for (let attempt = 1; attempt <= ATTEMPTS; attempt += 1) {
    finding = await probeOnce(a, b);
    if (!finding) return undefined;
    if (finding.certain) return finding.evidence;
  }
  return (
    `${finding!.evidence}, in each of ${ATTEMPTS} probes (other clients' transactions on a pooled session; ` +
    'a session of its own shows that only now and then, catching up on cache invalidations while the server runs heavy DDL)'
  );
}
