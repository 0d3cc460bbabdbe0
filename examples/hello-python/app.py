"""A Lambda-style Python function: handler(event, context) returns the result."""


def handler(event, context):
    name = event.get("name", "world") if isinstance(event, dict) else "world"
    print(f"greeting {name} (request {context.aws_request_id})")
    return {"message": f"Hello, {name}!"}
