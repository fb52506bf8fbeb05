import pg from 'pg';

export interface ServiceDatabaseSpec {
  /** Database name, e.g. `orderflow_orders`. Letters, digits and `_` only. */
  database: string;
  /** Role that owns it and alone may connect to it, e.g. `orderflow_orders`. */
  role: string;
  /** The role's password; unset: none (trust or peer authentication). */
  password?: string;
}

const IDENT = /^[a-z_][a-z0-9_]{0,62}$/;

function ident(name: string): string {
  if (!IDENT.test(name)) throw new Error(`"${name}" is not a plain lower-case SQL identifier`);
  return `"${name}"`;
}

/** The URL the service connects with: the admin URL's host and port, the service's role and database. */
export function serviceDatabaseUrl(adminUrl: string, spec: ServiceDatabaseSpec): string {
  const u = new URL(adminUrl);
  u.username = spec.role;
  u.password = spec.password ?? '';
  u.pathname = `/${spec.database}`;
  return u.toString();
}

/**
 * Creates the service's role and database if they are missing (idempotent, safe from several
 * instances at once: a session advisory lock serialises them), makes the role the owner and
 * revokes `CONNECT` from `PUBLIC`, so no other service's role can open it.
 * @throws the driver's error when the admin connection fails or lacks the rights.
 */
export async function ensureServiceDatabase(adminUrl: string, spec: ServiceDatabaseSpec): Promise<string> {
  const db = ident(spec.database);
  const role = ident(spec.role);
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query('select pg_advisory_lock(727275)');
    const hasRole = await client.query('select 1 from pg_roles where rolname = $1', [spec.role]);
    if (hasRole.rowCount === 0) await client.query(`create role ${role} login`);
    if (spec.password !== undefined) await client.query(`alter role ${role} password ${pg.escapeLiteral(spec.password)}`);
    const hasDb = await client.query('select 1 from pg_database where datname = $1', [spec.database]);
    if (hasDb.rowCount === 0) await client.query(`create database ${db} owner ${role}`);
    await client.query(`revoke connect, temporary on database ${db} from public`);
    await client.query(`grant connect, temporary on database ${db} to ${role}`);
    await client.query('select pg_advisory_unlock(727275)');
  } finally {
    await client.end();
  }
  return serviceDatabaseUrl(adminUrl, spec);
}

/** Drops the database (closing its sessions) and the role, if present. For tests and teardown. */
export async function dropServiceDatabase(adminUrl: string, spec: ServiceDatabaseSpec): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`drop database if exists ${ident(spec.database)} with (force)`);
    await client.query(`drop role if exists ${ident(spec.role)}`);
  } finally {
    await client.end();
  }
}
