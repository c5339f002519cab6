/**
 * A test file that needs a real peer (dcmtk, Orthanc, a network namespace) states it here: a missing
 * peer fails the file with the command that installs it, instead of skipping it silently.
 * `npm test` installs the peers first (scripts/test-peers.sh, the pretest script).
 */
export function requirePeer(name: string, available: boolean): void {
  if (!available) throw new Error(`${name} is missing on this machine: run "bash scripts/test-peers.sh" (as root, or the apt-get command it prints)`);
}
