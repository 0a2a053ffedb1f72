// The workflow bundle's entry point: every workflow the worker registers.
export { notificationWorkflow } from './notification';
export { bulkResendWorkflow } from './bulk-resend';
export { replayWorkflow } from './replay';
export { purgeWorkflow } from './purge';
