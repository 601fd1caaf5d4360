import { createECDH, webcrypto } from 'node:crypto';
import type * as X509 from '@peculiar/x509';

/**
 * @peculiar/x509 needs a Reflect metadata polyfill loaded before it (its DI container checks at import);
 * both are loaded on first use only, so stacks without TLS and the rest of the server never pay for them.
 */
async function loadX509(): Promise<typeof X509> {
  await import('reflect-metadata');
  return import('@peculiar/x509');
}

// Order of the P-256 group (FIPS 186-4 D.1.2.3): a private key is a scalar in [1, n-1].
const P256_ORDER = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');
const ECDSA = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING = { name: 'ECDSA', hash: 'SHA-256' } as const;
const subtle = webcrypto.subtle;
// @peculiar/x509 types its provider with the DOM's Crypto, which this Node-only project does not load.
const crypto = webcrypto as unknown as Parameters<typeof X509.X509CertificateGenerator.create>[1];
type CryptoKeyPair = webcrypto.CryptoKeyPair;

export interface IssuedCertificate {
  certificatePem: string;
  privateKeyPem: string;
}

export interface ServerCertificateRequest {
  commonName: string;
  dnsNames: readonly string[];
  ipAddresses?: readonly string[];
  /** Seeds the key: same seed and label, same key. */
  keyLabel: string;
}

type KeyBytes = (label: string, length: number, offset: number) => Buffer;

/**
 * A private CA for the stack's TLS listeners (MQTT over TLS): ECDSA P-256, certificates made with
 * @peculiar/x509 over WebCrypto. Keys come from the stack's seeded secret source, so rebuilding a bundle
 * with the same seed keeps the same CA key and devices that trust the CA keep trusting it. ECDSA signatures
 * themselves are randomized by WebCrypto, so certificate bytes differ between builds.
 */
export class CertificateAuthority {
  private constructor(
    private readonly keyBytes: KeyBytes,
    private readonly caKeys: CryptoKeyPair,
    private readonly x509: typeof X509,
    private readonly caCert: X509.X509Certificate,
    private readonly now: Date,
  ) {}

  static async create(name: string, keyBytes: KeyBytes, now: Date): Promise<CertificateAuthority> {
    const x509 = await loadX509();
    const keys = await deriveKeyPair(keyBytes, 'tls/ca');
    const cert = await x509.X509CertificateGenerator.createSelfSigned(
      {
        serialNumber: serialFrom(keyBytes, 'tls/ca/serial'),
        name: `CN=${escapeDn(name)}, O=Fieldline stack`,
        notBefore: new Date(now.getTime() - 3_600_000),
        notAfter: new Date(now.getTime() + 10 * 365 * 86_400_000),
        keys,
        signingAlgorithm: SIGNING,
        extensions: [
          new x509.BasicConstraintsExtension(true, 0, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
          await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
        ],
      },
      crypto,
    );
    return new CertificateAuthority(keyBytes, keys, x509, cert, now);
  }

  get certificatePem(): string {
    return `${this.caCert.toString('pem')}\n`;
  }

  async privateKeyPem(): Promise<string> {
    return pem('PRIVATE KEY', await subtle.exportKey('pkcs8', this.caKeys.privateKey));
  }

  /** A server certificate for a TLS listener; 825 days, the most Apple clients accept from a private CA. */
  async issueServer(request: ServerCertificateRequest): Promise<IssuedCertificate> {
    const x509 = this.x509;
    const keys = await deriveKeyPair(this.keyBytes, request.keyLabel);
    const names: X509.JsonGeneralNames = [
      ...request.dnsNames.map((value) => ({ type: 'dns' as const, value })),
      ...(request.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value })),
    ];
    const cert = await x509.X509CertificateGenerator.create(
      {
        serialNumber: serialFrom(this.keyBytes, `${request.keyLabel}/serial`),
        subject: `CN=${escapeDn(request.commonName)}, O=Fieldline stack`,
        issuer: this.caCert.subject,
        notBefore: new Date(this.now.getTime() - 3_600_000),
        notAfter: new Date(this.now.getTime() + 825 * 86_400_000),
        publicKey: keys.publicKey,
        signingKey: this.caKeys.privateKey,
        signingAlgorithm: SIGNING,
        extensions: [
          new x509.BasicConstraintsExtension(false, undefined, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
          new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
          new x509.SubjectAlternativeNameExtension(names),
          await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
          await x509.AuthorityKeyIdentifierExtension.create(this.caKeys.publicKey, false, crypto),
        ],
      },
      crypto,
    );
    return {
      certificatePem: `${cert.toString('pem')}\n`,
      privateKeyPem: pem('PRIVATE KEY', await subtle.exportKey('pkcs8', keys.privateKey)),
    };
  }
}

/** A P-256 key pair whose private scalar comes from the seeded stream (rejecting values outside [1, n-1]). */
async function deriveKeyPair(keyBytes: KeyBytes, label: string): Promise<CryptoKeyPair> {
  let d = 0n;
  let raw: Buffer = Buffer.alloc(0);
  for (let offset = 0; d === 0n || d >= P256_ORDER; offset += 32) {
    raw = keyBytes(label, 32, offset);
    d = BigInt(`0x${raw.toString('hex')}`);
  }
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(raw);
  const point = ecdh.getPublicKey();
  const jwk = {
    kty: 'EC',
    crv: 'P-256',
    x: point.subarray(1, 33).toString('base64url'),
    y: point.subarray(33, 65).toString('base64url'),
    ext: true,
  };
  const privateKey = await subtle.importKey('jwk', { ...jwk, d: raw.toString('base64url') }, ECDSA, true, ['sign']);
  const publicKey = await subtle.importKey('jwk', jwk, ECDSA, true, ['verify']);
  return { privateKey, publicKey };
}

/** A positive 16-byte serial (RFC 5280 §4.1.2.2: positive, at most 20 octets). */
function serialFrom(keyBytes: KeyBytes, label: string): string {
  const bytes = Buffer.from(keyBytes(label, 16, 0));
  bytes[0] = (bytes[0]! & 0x7f) | 0x01;
  return bytes.toString('hex');
}

function pem(type: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '');
  return `-----BEGIN ${type}-----\n${b64}\n-----END ${type}-----\n`;
}

function escapeDn(value: string): string {
  return value.replace(/([,+"\\<>;=])/g, '\\$1');
}
