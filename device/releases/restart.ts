import { RELEASE_RESTART_EXIT } from '../../runtime/releases/switch';

/**
 * Ends `kiosk start` the ordinary way (SIGTERM: queued transactions finish, devices close, the WAL is checkpointed)
 * with exit code {@link RELEASE_RESTART_EXIT}, so systemd (`Restart=on-failure`) starts `current` again — the new
 * release after a switch, the previous one after a rollback. A test's supervisor does the same.
 */
export function requestReleaseRestart(): void {
  process.exitCode = RELEASE_RESTART_EXIT;
  process.kill(process.pid, 'SIGTERM');
}
