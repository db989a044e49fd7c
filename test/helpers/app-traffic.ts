import pg from 'pg';

export interface AppTraffic {
  /** Resolves once every client is connected and has run its first query. */
  ready: Promise<void>;
  /** Stop the loops; how many queries the clients ran, and the errors they met. */
  stop(): Promise<{ queries: number; errors: string[] }>;
}

/**
 * An application's traffic through a pooler: `clients` connections, each running short queries
 * back to back (every third one an explicit transaction; or `statement(client)`) until stopped. Through a
 * transaction-mode pooler these are the transactions that take server sessions between a
 * migration run's own.
 */
export function startAppTraffic(url: string, clients: number, statement?: (client: number) => string): AppTraffic {
  let stopping = false;
  const errors: string[] = [];
  const connected: Array<Promise<void>> = [];
  const loops = Array.from({ length: clients }, (_, i) => {
    const client = new pg.Client({ connectionString: url, application_name: `app traffic ${i}` });
    client.on('error', (error) => errors.push(error.message));
    let first!: () => void;
    connected.push(
      new Promise<void>((resolve) => {
        first = resolve;
      }),
    );
    return (async () => {
      let queries = 0;
      try {
        await client.connect();
        while (!stopping) {
          await client.query(statement?.(i) ?? (queries % 3 === 2 ? 'BEGIN; SELECT 1; COMMIT' : 'SELECT 1'));
          if (queries === 0) first();
          queries += 1;
        }
      } catch (error) {
        errors.push((error as Error).message);
        first();
      } finally {
        await client.end().catch(() => undefined);
      }
      return queries;
    })();
  });
  return {
    ready: Promise.all(connected).then(() => undefined),
    async stop() {
      stopping = true;
      const counts = await Promise.all(loops);
      return { queries: counts.reduce((a, b) => a + b, 0), errors };
    },
  };
}
