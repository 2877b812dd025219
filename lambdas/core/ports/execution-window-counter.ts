/**
 * Executions per tenant and minute, shared by every executor. `tryTake` adds `amount` to the
 * tenant's count for `window` when the sum stays within `cap` and says whether it did.
 */
export interface ExecutionWindowCounter {
  tryTake(tenant: string, window: number, amount: number, cap: number): Promise<boolean>;
}
