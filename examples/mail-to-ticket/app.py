"""Turn inbound email into a support ticket.

Updraft invokes this function with SES's receipt event (the Lambda
action's event: headers, not the body) for every message sent to the
recipients in updraft.yaml. The raw message is stored; its id is
receipt.action.objectKey, and `updraft mail message ID` prints it.
"""
import json
import re


def handler(event, context):
    tickets = []
    for record in event["Records"]:
        mail = record["ses"]["mail"]
        receipt = record["ses"]["receipt"]
        headers = mail["commonHeaders"]
        subject = headers.get("subject", "(no subject)")
        ticket = {
            "id": "T-" + mail["messageId"][:8],
            "queue": receipt["recipients"][0].split("@")[0],
            "requester": (headers.get("from") or [mail["source"]])[0],
            "subject": subject,
            "priority": "high" if re.search(r"urgent|down|fire", subject, re.I) else "normal",
            "received": mail["timestamp"],
            "raw_message": receipt["action"].get("objectKey"),
        }
        print("TICKET " + json.dumps(ticket))
        tickets.append(ticket)
    return {"tickets": tickets}
