import { describe, expect, it } from 'vitest';
import { toHex, utf8 } from '../src/bytes.js';
import { aeadDecrypt, aeadEncrypt, hkdfSha256, pbkdf2Sha256, scrypt } from '../src/primitives.js';
import { BACKENDS, expectCode, flip, hex } from './helpers.js';

/**
 * Published test vectors, each run through the library's own wrappers (and
 * through both curve backends where there are two).
 */

describe('AES-256-GCM: the GCM specification (McGrew & Viega), test cases 13-16', () => {
  const K15 = 'feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308';
  const P15 =
    'd9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255';
  const C15 =
    '522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad';
  const cases = [
    {
      name: '13',
      key: '00'.repeat(32),
      iv: '00'.repeat(12),
      pt: '',
      ad: '',
      ct: '',
      tag: '530f8afbc74536b9a963b4f1c4cb738b',
    },
    {
      name: '14',
      key: '00'.repeat(32),
      iv: '00'.repeat(12),
      pt: '00'.repeat(16),
      ad: '',
      ct: 'cea7403d4d606b6e074ec5d3baf39d18',
      tag: 'd0d1c8a799996bf0265b98b5d48ab919',
    },
    {
      name: '15',
      key: K15,
      iv: 'cafebabefacedbaddecaf888',
      pt: P15,
      ad: '',
      ct: C15,
      tag: 'b094dac5d93471bdec1a502270e3cc6c',
    },
    {
      name: '16',
      key: K15,
      iv: 'cafebabefacedbaddecaf888',
      pt: P15.slice(0, 120),
      ad: 'feedfacedeadbeeffeedfacedeadbeefabaddad2',
      ct: C15.slice(0, 120),
      tag: '76fc6ece0f4e1768cddf8853bb2d551b',
    },
  ];
  for (const c of cases) {
    it(`test case ${c.name}`, async () => {
      const sealed = await aeadEncrypt('AES-256-GCM', hex(c.key), hex(c.iv), hex(c.pt), hex(c.ad));
      expect(toHex(sealed)).toBe(c.ct + c.tag);
      expect(toHex(await aeadDecrypt('AES-256-GCM', hex(c.key), hex(c.iv), sealed, hex(c.ad)))).toBe(c.pt);
      await expectCode(
        aeadDecrypt('AES-256-GCM', hex(c.key), hex(c.iv), flip(sealed, sealed.length - 1), hex(c.ad)),
        'CRYPTO_DECRYPT_FAILED',
      );
    });
  }
});

describe('XChaCha20-Poly1305: draft-irtf-cfrg-xchacha-03, appendix A.3.1', () => {
  it('encrypts and decrypts the published vector', async () => {
    const key = hex('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f');
    const nonce = hex('404142434445464748494a4b4c4d4e4f5051525354555657');
    const ad = hex('50515253c0c1c2c3c4c5c6c7');
    const pt = utf8(
      "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
    );
    const expected =
      'bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b4522f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff921f9664c97637da9768812f615c68b13b52e' +
      'c0875924c1c7987947deafd8780acf49';
    const sealed = await aeadEncrypt('XChaCha20-Poly1305', key, nonce, pt, ad);
    expect(toHex(sealed)).toBe(expected);
    expect(await aeadDecrypt('XChaCha20-Poly1305', key, nonce, sealed, ad)).toEqual(pt);
    await expectCode(
      aeadDecrypt('XChaCha20-Poly1305', key, nonce, sealed, hex('50')),
      'CRYPTO_DECRYPT_FAILED',
    );
  });
});

describe('HKDF-SHA256: RFC 5869 appendix A, test cases 1-3', () => {
  const cases = [
    {
      name: '1',
      ikm: '0b'.repeat(22),
      salt: '000102030405060708090a0b0c',
      info: 'f0f1f2f3f4f5f6f7f8f9',
      length: 42,
      okm: '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
    },
    {
      name: '2',
      ikm: Array.from({ length: 0x50 }, (_, i) => i.toString(16).padStart(2, '0')).join(''),
      salt: Array.from({ length: 0x50 }, (_, i) => (0x60 + i).toString(16)).join(''),
      info: Array.from({ length: 0x50 }, (_, i) => (0xb0 + i).toString(16)).join(''),
      length: 82,
      okm: 'b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87',
    },
    {
      name: '3',
      ikm: '0b'.repeat(22),
      salt: '',
      info: '',
      length: 42,
      okm: '8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8',
    },
  ];
  for (const c of cases) {
    it(`test case ${c.name}`, async () => {
      expect(toHex(await hkdfSha256(hex(c.ikm), hex(c.salt), hex(c.info), c.length))).toBe(c.okm);
    });
  }
});

describe('password KDFs: RFC 7914 section 11 (PBKDF2-HMAC-SHA256) and section 12 (scrypt)', () => {
  it('PBKDF2-HMAC-SHA256 P="passwd" S="salt" c=1', async () => {
    expect(toHex(await pbkdf2Sha256(utf8('passwd'), utf8('salt'), 1, 64))).toBe(
      '55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783',
    );
  });
  it('scrypt P="" S="" N=16 r=1 p=1 and P="password" S="NaCl" N=1024 r=8 p=16', async () => {
    expect(toHex(await scrypt(utf8(''), utf8(''), { N: 16, r: 1, p: 1 }, 64))).toBe(
      '77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906',
    );
    expect(toHex(await scrypt(utf8('password'), utf8('NaCl'), { N: 1024, r: 8, p: 16 }, 64))).toBe(
      'fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731622eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640',
    );
  });
});

describe.each(BACKENDS)('X25519 and Ed25519 on the $name backend', (backend) => {
  it('RFC 7748 section 5.2: both scalar-multiplication vectors', async () => {
    expect(
      toHex(
        await backend.x25519(
          hex('a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4'),
          hex('e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c'),
        ),
      ),
    ).toBe('c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552');
    expect(
      toHex(
        await backend.x25519(
          hex('4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d'),
          hex('e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493'),
        ),
      ),
    ).toBe('95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957');
  });

  it('RFC 7748 section 6.1: the Diffie-Hellman example', async () => {
    const a = hex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
    const b = hex('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb');
    const aPub = await backend.x25519PublicKey(a);
    const bPub = await backend.x25519PublicKey(b);
    expect(toHex(aPub)).toBe('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
    expect(toHex(bPub)).toBe('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
    const k = '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742';
    expect(toHex(await backend.x25519(a, bPub))).toBe(k);
    expect(toHex(await backend.x25519(b, aPub))).toBe(k);
  });

  it('refuses a small-order X25519 public key (all-zero shared secret)', async () => {
    const sk = (await backend.x25519Generate()).secretKey;
    await expectCode(backend.x25519(sk, new Uint8Array(32)), 'CRYPTO_BAD_PUBLIC_KEY');
    await expectCode(backend.x25519(sk, Uint8Array.of(1, ...new Uint8Array(31))), 'CRYPTO_BAD_PUBLIC_KEY');
    await expectCode((await backend.x25519Ephemeral()).agree(new Uint8Array(32)), 'CRYPTO_BAD_PUBLIC_KEY');
  });

  const ed = [
    {
      name: 'TEST 1',
      sk: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
      pk: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
      msg: '',
      sig: 'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
    },
    {
      name: 'TEST 2',
      sk: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
      pk: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
      msg: '72',
      sig: '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
    },
    {
      name: 'TEST 3',
      sk: 'c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7',
      pk: 'fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025',
      msg: 'af82',
      sig: '6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a',
    },
  ];
  for (const v of ed) {
    it(`RFC 8032 section 7.1 Ed25519 ${v.name}`, async () => {
      expect(toHex(await backend.ed25519PublicKey(hex(v.sk)))).toBe(v.pk);
      const sig = await backend.ed25519Sign(hex(v.sk), hex(v.msg));
      expect(toHex(sig)).toBe(v.sig);
      expect(await backend.ed25519Verify(hex(v.pk), hex(v.msg), sig)).toBe(true);
      expect(await backend.ed25519Verify(hex(v.pk), Uint8Array.of(...hex(v.msg), 0), sig)).toBe(false);
      expect(await backend.ed25519Verify(hex(v.pk), hex(v.msg), flip(sig, 0))).toBe(false);
    });
  }
});
