/** A webhook's `apiVersion`, as the API accepts it: "account" (the default), "latest", or a semver pin. */
import { z } from 'zod';
import semver from 'semver';

export const apiVersionSetting = z
  .string()
  .refine((v) => v === 'account' || v === 'latest' || semver.valid(v) === v, 'must be "account", "latest" or a version MAJOR.MINOR.PATCH, e.g. 8.0.3');
