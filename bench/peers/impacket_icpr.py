#!/usr/bin/python3
"""MS-ICPR CertServerRequest with Debian's impacket 0.10 (python3-impacket) as a third-party client.

impacket 0.10 ships no ICPR module, so the NDR structures are defined here from the MS-ICPR IDL
(3.2.4.1.1): CERTTRANSBLOB {ULONG cb; [size_is(cb), unique] BYTE *pb;}, the request
(dwFlags, [string, unique] pwszAuthority, [in, out, ref] pdwRequestId, pctbAttribs, pctbRequest)
and the response (pdwRequestId, pdwDisposition, pctbCert, pctbEncodedCert, pctbDispositionMessage,
then the DWORD return value). Transport as acme2certifier/Certipy: ncacn_np over SMB to `\\cert`,
RPC auth type 10 (raw NTLMSSP), by default at PKT_PRIVACY. The SMB dialect is forced (2.1 by
default) so captures stay unencrypted and decodable.

Run with /usr/bin/python3 (impacket is not importable from a pyenv python). Prints one JSON line:
  {"requestId", "disposition", "returnValue", "message", "encodedCert" (base64 DER), "cert" (base64 PKCS#7)}
or {"error": text, "code": NTSTATUS/RPC status or null}.

  impacket_icpr.py --port 4445 --user U --password P [--domain TEST] --ca NAME
                   (--csr FILE --template T [--attrib K:V]... | --retrieve ID)
                   [--level privacy|integrity] [--dialect 2.0.2|2.1|3.0] [--count N]
"""
import argparse
import base64
import json
import sys

from impacket import smb3structs
from impacket.dcerpc.v5 import transport
from impacket.dcerpc.v5.dtypes import DWORD, LPWSTR, NULL, ULONG
from impacket.dcerpc.v5.ndr import NDRCALL, NDRPOINTER, NDRSTRUCT, NDRUniConformantArray
from impacket.dcerpc.v5.rpcrt import (
    DCERPCException,
    RPC_C_AUTHN_LEVEL_PKT_INTEGRITY,
    RPC_C_AUTHN_LEVEL_PKT_PRIVACY,
    RPC_C_AUTHN_WINNT,
)
from impacket.smbconnection import SessionError
from impacket.uuid import uuidtup_to_bin

ICPR = uuidtup_to_bin(("91AE6020-9E3C-11CF-8D7C-00AA00C091BE", "0.0"))


class BYTE_ARRAY(NDRUniConformantArray):
    item = "c"


class PBYTE_ARRAY(NDRPOINTER):
    referent = (("Data", BYTE_ARRAY),)


class CERTTRANSBLOB(NDRSTRUCT):
    structure = (("cb", ULONG), ("pb", PBYTE_ARRAY))


class CertServerRequest(NDRCALL):
    opnum = 0
    structure = (
        ("dwFlags", DWORD),
        ("pwszAuthority", LPWSTR),
        ("pdwRequestId", DWORD),
        ("pctbAttribs", CERTTRANSBLOB),
        ("pctbRequest", CERTTRANSBLOB),
    )


class CertServerRequestResponse(NDRCALL):
    structure = (
        ("pdwRequestId", DWORD),
        ("pdwDisposition", ULONG),
        ("pctbCert", CERTTRANSBLOB),
        ("pctbEncodedCert", CERTTRANSBLOB),
        ("pctbDispositionMessage", CERTTRANSBLOB),
        ("ErrorCode", ULONG),
    )


class DCERPCSessionError(DCERPCException):
    """Looked up by impacket's request() in the request's module when it checks errors."""


DIALECTS = {"2.0.2": smb3structs.SMB2_DIALECT_002, "2.1": smb3structs.SMB2_DIALECT_21, "3.0": smb3structs.SMB2_DIALECT_30}


def blob(data):
    b = CERTTRANSBLOB()
    if data:
        b["cb"] = len(data)
        b["pb"] = data
    else:
        b["cb"] = 0
        b["pb"] = NULL
    return b


def blob_bytes(b):
    if b["pb"] in (NULL, None) or b["cb"] == 0:
        return b""
    return b"".join(x if isinstance(x, bytes) else bytes([x]) for x in b["pb"])


def read_csr(path):
    data = open(path, "rb").read()
    if data.lstrip().startswith(b"-----BEGIN"):
        body = b"".join(l for l in data.splitlines() if l and not l.startswith(b"-----"))
        data = base64.b64decode(body)
    return data


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--user", required=True)
    p.add_argument("--password", default="")
    p.add_argument("--domain", default="TEST")
    p.add_argument("--ca", required=True)
    p.add_argument("--csr")
    p.add_argument("--template")
    p.add_argument("--attrib", action="append", default=[])
    p.add_argument("--retrieve", type=int)
    p.add_argument("--level", choices=["privacy", "integrity"], default="privacy")
    p.add_argument("--dialect", choices=sorted(DIALECTS), default="2.1")
    p.add_argument("--timeout", type=int, default=10)
    a = p.parse_args()

    out = {}
    try:
        t = transport.SMBTransport(a.host, dstport=a.port, filename=r"\cert", username=a.user, password=a.password, domain=a.domain)
        t.preferred_dialect(DIALECTS[a.dialect])
        t.set_connect_timeout(a.timeout)
        dce = t.get_dce_rpc()
        dce.set_auth_type(RPC_C_AUTHN_WINNT)
        dce.set_auth_level(RPC_C_AUTHN_LEVEL_PKT_PRIVACY if a.level == "privacy" else RPC_C_AUTHN_LEVEL_PKT_INTEGRITY)
        dce.connect()
        out["dialect"] = hex(t.get_smb_connection().getDialect())
        dce.bind(ICPR)

        req = CertServerRequest()
        req["dwFlags"] = 0
        req["pwszAuthority"] = a.ca + "\x00"
        if a.retrieve is not None:
            req["pdwRequestId"] = a.retrieve
            req["pctbAttribs"] = blob(b"")
            req["pctbRequest"] = blob(b"")
        else:
            lines = ["CertificateTemplate:%s" % a.template] + a.attrib
            req["pdwRequestId"] = 0
            req["pctbAttribs"] = blob(("\n".join(lines) + "\x00").encode("utf-16le"))
            req["pctbRequest"] = blob(read_csr(a.csr))
        resp = dce.request(req, checkError=False)
        message = blob_bytes(resp["pctbDispositionMessage"]).decode("utf-16le").rstrip("\x00")
        out.update(
            requestId=resp["pdwRequestId"],
            disposition=resp["pdwDisposition"],
            returnValue=resp["ErrorCode"],
            message=message,
            encodedCert=base64.b64encode(blob_bytes(resp["pctbEncodedCert"])).decode(),
            cert=base64.b64encode(blob_bytes(resp["pctbCert"])).decode(),
        )
        dce.disconnect()
    except SessionError as e:
        out = {"error": str(e), "code": e.getErrorCode()}
    except DCERPCException as e:
        out = {"error": str(e), "code": e.get_error_code()}
    except Exception as e:  # noqa: BLE001 - reported to the test as JSON
        out = {"error": "%s: %s" % (type(e).__name__, e), "code": None}
    print(json.dumps(out))


if __name__ == "__main__":
    sys.exit(main())
