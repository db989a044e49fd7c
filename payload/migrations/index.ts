import * as migration_20261122_040610_initial from './20261122_040610_initial';
import * as migration_20261122_040616_herb_nature_practitioner_email from './20261122_040616_herb_nature_practitioner_email';

export const migrations = [
  {
    up: migration_20261122_040610_initial.up,
    down: migration_20261122_040610_initial.down,
    name: '20261122_040610_initial',
  },
  {
    up: migration_20261122_040616_herb_nature_practitioner_email.up,
    down: migration_20261122_040616_herb_nature_practitioner_email.down,
    name: '20261122_040616_herb_nature_practitioner_email'
  },
];
