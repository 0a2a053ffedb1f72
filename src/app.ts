/**
 * The Express application, built from its dependencies; it never listens (entry points and tests
 * do). Order matters: security headers, undecodable paths refused, unauthenticated probes, then
 * `/v1` behind the API key with a bounded JSON body parser (size and depth), then the one error handler.
 */
import path from 'node:path';
import express, { type Express } from 'express';
import helmet from 'helmet';
import type { Config } from './config';
import type { Database } from './db';
import type { Logger } from './logger';
import type { Metrics } from './metrics';
import type { Models } from './models';
import type { SecretBox } from './crypto/secrets';
import type { TemporalHandle } from './temporal';
import type { ConfigCache } from './config-cache';
import type { NotificationHandoff } from './delivery/handoff';
import { apiKeyAuth, scopeToAccount } from './http/auth';
import { accountsRouter } from './routes/accounts';
import { errorHandler, notFoundHandler } from './http/error-handler';
import { limitJsonDepth, rejectMalformedPath } from './http/request-limits';
import { healthRouter } from './routes/health';
import { webhooksRouter } from './routes/webhooks';
import { subscriptionsRouter } from './routes/subscriptions';
import { streamSubscriptionsRouter } from './routes/stream-subscriptions';
import { settingsRouter } from './routes/settings';
import { eventsRouter } from './routes/events';
import { notificationsRouter } from './routes/notifications';
import { webhookSecretsRouter } from './routes/webhook-secrets';
import { variablesRouter } from './routes/variables';
import { sourcesRouter } from './routes/sources';
import { inboundRouter } from './routes/inbound';
import { openApiRouter } from './routes/openapi';
import { infoRouter } from './routes/info';
import { eventTypesRouter } from './routes/event-types';
import { statsRouter } from './routes/stats';
import { retentionRouter } from './routes/retention';
import { PROJECT_ROOT } from './paths';

export interface AppDeps {
  config: Readonly<Config>;
  db: Database;
  models: Models;
  temporal: TemporalHandle;
  logger: Logger;
  metrics: Metrics;
  secretBox: SecretBox;
  apiKeys: readonly string[];
  /** HMAC key for inbound direct URL signatures. */
  urlSigningKey: Buffer;
  /** Webhook configuration for fan-out, revalidated against MongoDB on every use. */
  configCache: ConfigCache;
  /** `Herald/<version>`: the User-Agent rendered into every snapshot. */
  userAgent: string;
  /** The newest declared event-type version: a new account's default pin (versioned event types). */
  defaultApiVersion?: () => Promise<string | null>;
  /** Set where this process also runs the worker (startApiAndWorker in src/worker.ts): stored notifications go to its first attempts. */
  handoff?: NotificationHandoff;
  /** The Temporal Web UI, when known (the embedded one under `npm start`); overrides config.temporalUiUrl. */
  temporalUiUrl?: string | null;
}

/** The console's static files (plain HTML, CSS and JS modules: nothing to build). */
export const CONSOLE_DIR = path.join(PROJECT_ROOT, 'src', 'console');

/**
 * Files of npm packages the console loads, served by Herald under /console/vendor/ (nothing comes
 * from another host): uPlot draws the delivery charts (src/console/js/charts.js).
 */
export const CONSOLE_VENDOR: Readonly<Record<string, string>> = Object.freeze({
  'uPlot.esm.js': require.resolve('uplot/dist/uPlot.esm.js'),
  'uPlot.min.css': require.resolve('uplot/dist/uPlot.min.css'),
});

// Same-origin only, and no upgrade-insecure-requests (helmet's default): a console served over
// plain http on an internal network must still load its own scripts.
const consoleCsp = helmet.contentSecurityPolicy({
  useDefaults: false,
  directives: {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'", 'data:'],
    connectSrc: ["'self'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
    baseUri: ["'self'"],
    objectSrc: ["'none'"],
  },
});

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.use(helmet());
  app.use(rejectMalformedPath());
  app.use(healthRouter(deps));
  app.use(openApiRouter());
  // The console: static files only; it calls /v1 with the API key the user signs in with.
  app.use('/console', consoleCsp, express.static(CONSOLE_DIR, { index: 'index.html' }));
  // Static files too (a middleware, not an API route): the named package files only.
  app.use('/console/vendor', consoleCsp, (req, res, next) => {
    const name = req.path.slice(1);
    if ((req.method !== 'GET' && req.method !== 'HEAD') || !Object.hasOwn(CONSOLE_VENDOR, name)) return next();
    res.sendFile(CONSOLE_VENDOR[name], { maxAge: '1h' });
  });
  // Inbound direct URLs: no API key (the signed URL, optionally basic auth), their own body parser.
  app.use('/in', inboundRouter(deps));

  const v1 = express.Router();
  v1.use(apiKeyAuth({ apiKeys: deps.apiKeys, models: deps.models }));
  v1.use(express.json({ limit: deps.config.maxBodyBytes, strict: true, type: () => true }));
  v1.use(limitJsonDepth());
  // From here on every read and write of tenant data is confined to the caller's account.
  v1.use(scopeToAccount());
  v1.use('/accounts', accountsRouter(deps));
  v1.use('/webhooks', webhookSecretsRouter(deps));
  v1.use('/webhooks', webhooksRouter(deps));
  v1.use('/webhooks', subscriptionsRouter(deps));
  v1.use('/subscriptions', streamSubscriptionsRouter(deps));
  v1.use('/settings', settingsRouter(deps));
  v1.use('/events', eventsRouter(deps));
  v1.use('/notifications', notificationsRouter(deps));
  v1.use('/sources', sourcesRouter(deps));
  v1.use('/variables', variablesRouter(deps));
  v1.use('/event-types', eventTypesRouter(deps));
  v1.use('/stats', statsRouter(deps));
  v1.use('/retention', retentionRouter(deps));
  v1.use('/info', infoRouter(deps));
  app.use('/v1', v1);

  app.use(notFoundHandler());
  app.use(errorHandler(deps.logger));
  return app;
}
