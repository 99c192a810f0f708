"""The scrubbing policy as data: which names, sections, parameters and values are secret.

Read with :mod:`mockhm.streams.record.scrub`, which applies it.  The rules, in order of
precedence for one value:

1. **Secret names**, in any template, document or template string: a name with a word such
   as PASSWORD, SECRET, TOKEN, KEY, CERT, AUTH, ACCESS, CREDENTIAL, SIGNATURE, SESSION,
   PASSPHRASE or PRIVATE, a ``*_BASE64`` name, START_SCRIPT and USER_DATA
   (:data:`SECRET_NAME`), and every name of a cloud or hypervisor driver's credentials
   (``EC2_*``, ``AZ_*``, ``AWS_*``, ``VCENTER_*``... :data:`CREDENTIAL_PREFIX`), as host
   templates hold them.  The value becomes ``scrubbed`` (its base64 for ``*_BASE64``).
2. **Personal values** get consistent pseudonyms (:data:`PERSONAL`): users, groups, host
   names, IPs and MACs.
3. **CONTEXT and USER_TEMPLATE** values are scrubbed unless the name is known safe
   (:data:`CONTEXT_SAFE`, :data:`USER_TEMPLATE_SAFE`): users put keys, tokens and scripts
   there under any name.
4. **API parameters that carry credentials** (:data:`SECRET_PARAMETERS`): passwords and
   tokens in and out, e.g. the token ``one.user.login`` returns; user names in
   :data:`USER_PARAMETERS` get the user pseudonym.
5. **Secret-looking values anywhere** (:data:`SECRET_VALUE`): PEM keys and certificates, SSH
   public keys, AWS access key ids, JWTs, URLs with a password; a whole value of 32+ hex
   digits (:data:`TOKEN_VALUE`).
6. **Nested base64** is opened: a value that decodes to XML, or to base64 of XML (RETRY's
   ARGUMENTS hold base64 of the stored ARGUMENTS, which for a STATE hook are base64 of the
   document), is scrubbed inside with these same rules and re-encoded alike.
"""

from __future__ import annotations

import re
from typing import Final

#: Rule 1: a word of the name marks it as secret.
SECRET_NAME: Final = re.compile(
    r"(?:^|_)(?:PASSWORD|PASSWD|PASS|PWD|PASSPHRASE|SECRETS?|TOKENS?|KEYS?|APIKEY|PRIVATE|CERTS?|CERTIFICATES?|"
    r"AUTH|AUTHORIZATION|ACCESS|CREDENTIALS?|SIGNATURE|SESSION|COOKIE|SALT|OTP|TOTP)(?:_|$)"
    r"|_BASE64$|^START_SCRIPT|^USER_DATA"
)
#: Rule 1: credentials of public-cloud and hypervisor drivers (host templates, PUBLIC_CLOUD).
CREDENTIAL_PREFIX: Final = re.compile(
    r"^(?:EC2|AWS|AZ|AZURE|GCE|GCP|GOOGLE|VCENTER|NSX|EQUINIX|PACKET|DIGITALOCEAN|VULTR|KUBECONFIG|"
    r"OPENSTACK|SCALEWAY|HETZNER|OVH)_"
)
#: Names rule 1 would flag that only say *whether* something is used (``TOKEN="YES"`` asks
#: for a OneGate token; the value is YES or NO).
NOT_SECRET: Final = frozenset({"TOKEN", "SSH_KEY_ALGORITHM"})

#: Rule 2: element or attribute name -> pseudonym kind.
PERSONAL: Final[dict[str, str]] = {
    "UNAME": "user",
    "USERNAME": "user",
    "GNAME": "group",
    "HOSTNAME": "host",
    "REMOTE_HOST": "host",
}
IP_NAME: Final = re.compile(
    r"(?:ETH\d+_|ALIAS\d+_)?(?:IP|IP6|IP6_GLOBAL|IP6_ULA|IP6_LINK|GATEWAY|GATEWAY6|DNS|VROUTER_IP|"
    r"NETWORK_ADDRESS|IP_END|IP6_END|IP6_GLOBAL_END|IP6_ULA_END)"
)
MAC_NAME: Final = re.compile(r"(?:ETH\d+_|ALIAS\d+_)?MAC(?:_END)?")

#: Rule 3: CONTEXT names that only describe the guest's network plumbing.
CONTEXT_SAFE: Final = re.compile(
    r"NETWORK|TARGET|DISK_ID|REPORT_READY|TOKEN|"
    r"(?:ETH|ALIAS)\d+_(?:MASK|MTU|METHOD|IP6_METHOD|NETWORK|VLAN_ID|CONTEXT_FORCE_IPV4|IP6_PREFIX_LENGTH)"
)
#: Rule 3: USER_TEMPLATE names the scheduler and Sunstone read, never secrets.
USER_TEMPLATE_SAFE: Final = re.compile(
    r"SCHED_(?:REQUIREMENTS|RANK|DS_REQUIREMENTS|DS_RANK|MESSAGE)|HYPERVISOR|LOGO|INPUTS_ORDER|"
    r"(?:CPU|MEMORY|DISK)_COST|MEMORY_UNIT_COST"
)

#: Rule 4: ``(call, IN|OUT, position)`` whose value is a credential (position 1 IN is the session,
#: which oned prints as ``****``; oned masks IN passwords too, §3.2.1, but not login's OUT token).
SECRET_PARAMETERS: Final = frozenset(
    {
        ("one.user.login", "IN", 3),
        ("one.user.login", "OUT", 2),
        ("one.user.allocate", "IN", 3),
        ("one.user.passwd", "IN", 3),
        ("one.user.chauth", "IN", 4),
    }
)
#: Rule 4: ``(call, IN|OUT, position)`` holding a user name.
USER_PARAMETERS: Final = frozenset({("one.user.login", "IN", 2), ("one.user.allocate", "IN", 2)})

#: Rule 5: values that are secrets whatever they are called.
SECRET_VALUE: Final = re.compile(
    r"-----BEGIN [A-Z0-9 ]*(?:PRIVATE KEY|CERTIFICATE|KEY BLOCK)-----"
    r"|(?:ssh-(?:rsa|dss|ed25519)|ecdsa-sha2-nistp\d+|sk-ssh-ed25519@openssh\.com) AAAA"
    r"|\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"
    r"|\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\."
    r"|[a-z][a-z0-9+.-]*://[^/\s:@\"]+:[^/\s@\"]+@"
)
#: Rule 5: a whole value that is a token (``one.user.login`` returns 40 hex digits; a hash
#: inside a path such as an image SOURCE is not a token).
TOKEN_VALUE: Final = re.compile(r"[0-9a-fA-F]{32,}")

#: Replacement text of secrets (``*_BASE64`` values get its base64 so that they still decode).
SCRUBBED: Final = "scrubbed"


def is_secret_name(name: str) -> bool:
    """Rule 1 for one element or attribute name."""
    return name not in NOT_SECRET and bool(SECRET_NAME.search(name) or CREDENTIAL_PREFIX.match(name))
