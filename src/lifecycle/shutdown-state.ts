/** Whether this process is shutting down: readiness answers 503 from the first instant. */
export class ShutdownState {
  private startedAt: number | null = null;

  get shuttingDown(): boolean {
    return this.startedAt !== null;
  }

  begin(): void {
    this.startedAt ??= Date.now();
  }
}

export const SHUTDOWN_STATE = Symbol('SHUTDOWN_STATE');
