// The floor for any Node tool that checks a database: start node, load pg, connect, one query, exit.
import pg from 'pg';

const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
await client.connect();
await client.query('SELECT 1');
await client.end();
