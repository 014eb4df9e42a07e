/** The whole data model: drizzle-kit-managed tables plus the time-partitioned observations. */
export * from './observations';
export * from './schema';
