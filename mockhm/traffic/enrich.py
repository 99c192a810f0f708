"""Realistic, consistent values for a default document (names, owners, history, templates)."""

from __future__ import annotations

import itertools

from faker import Faker

from mockhm.wire.bodies import Document
from mockhm.wire.documents import History, HostDocument, ImageDocument, Owner, VmDocument


def enrich(fake: Faker, doc: Document) -> Document:
    """Give a default document realistic, consistent values from ``fake``."""
    if isinstance(doc, VmDocument):
        uname = fake.one_user_name()
        doc.owner = Owner(
            uid=0 if uname == "oneadmin" else fake.random_int(2, 200),
            gid=0 if uname == "oneadmin" else fake.random_int(1, 100),
            uname=uname,
            gname="oneadmin" if uname == "oneadmin" else fake.one_group_name(),
        )
        doc.name = fake.one_vm_name()
        doc.stime = fake.one_timestamp()
        tm_mad = doc.template.get("TM_MAD_SYSTEM")
        doc.template = fake.one_vm_template(
            doc.id,
            template_id=fake.random_int(0, 50),
            image_id=fake.random_int(0, 200),
            network_id=fake.random_int(0, 30),
        )
        if tm_mad is not None:
            doc.template["TM_MAD_SYSTEM"] = tm_mad
            doc.template = dict(sorted(doc.template.items()))
        if doc.history:
            t = doc.stime
            records = []
            for seq in range(len(doc.history) + (fake.random_int(0, 3) == 0)):
                start = fake.one_timestamp_after(t, 5, 120)
                records.append(
                    History(
                        oid=doc.id, seq=seq, hostname=fake.one_host_name(),
                        hid=fake.random_int(0, 40), stime=start, pstime=start,
                        petime=start + 2, rstime=start + 2,
                    )
                )  # fmt: skip
                t = start + 3
            for old, new in itertools.pairwise(records):
                old.etime = old.retime = new.stime
            doc.history = records
        if doc.etime:
            doc.etime = fake.one_timestamp_after(doc.stime, 60, 86_400)
        doc.last_poll = doc.stime if doc.history else 0
    elif isinstance(doc, HostDocument):
        doc.name = fake.one_host_name()
    elif isinstance(doc, ImageDocument):
        doc.name = fake.one_image_name()
        doc.regtime = doc.modtime = fake.one_timestamp()
        doc.size = fake.random_element((256, 2048, 4096, 10240))
        doc.source = f"/var/lib/one//datastores/{doc.datastore_id}/{fake.one_hex(32)}"
        doc.path = f"/var/tmp/{doc.name}.qcow2"
    else:
        doc.name = fake.one_vnet_name()
        ar = fake.one_address_range()
        doc.address_ranges = [
            {"AR_ID": "0", "IP": ar["IP"], "MAC": ar["MAC"], "NEXT_INDEX": "0", "SHARED": "NO",
             "SIZE": ar["SIZE"], "TYPE": "IP4"}
        ]  # fmt: skip
    return doc
