/** Placeholder: replaced by the alert detector handler (EventBridge Scheduler target, every 5 minutes). */
export const handler = async (_event: unknown): Promise<void> => {
  throw new Error('not wired yet');
};
