import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A throw-away CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl. */
export function makePki(): { dir: string; ca: string; serverCert: string; serverKey: string; clientCert: string; clientKey: string; issue: (cn: string, out: string) => void } {
  const dir = mkdtempSync(join(tmpdir(), 'clinfer-pki-'));
  const p = (f: string) => join(dir, f);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  ssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', p('ca.key'), '-out', p('ca.pem'), '-days', '2', '-subj', '/CN=clinfer test CA');
  writeFileSync(p('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  writeFileSync(p('client.ext'), 'extendedKeyUsage=clientAuth\n');
  const issue = (cn: string, out: string, ext = 'server.ext') => {
    ssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${out}.key`, '-out', `${out}.csr`, '-subj', `/CN=${cn}`);
    ssl('x509', '-req', '-in', `${out}.csr`, '-CA', p('ca.pem'), '-CAkey', p('ca.key'), '-CAcreateserial', '-out', `${out}.pem`, '-days', '2', '-extfile', p(ext));
  };
  issue('server-1', p('server'));
  issue('pacs-workstation-7', p('client'), 'client.ext');
  return { dir, ca: p('ca.pem'), serverCert: p('server.pem'), serverKey: p('server.key'), clientCert: p('client.pem'), clientKey: p('client.key'), issue: (cn, out) => issue(cn, out) };
}
