"""The OpenAPI document is valid OpenAPI 3, so client generators and
validators other than ours accept it."""

from openapi_spec_validator import validate


def test_the_openapi_document_is_valid_openapi_3(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    validate(spec)  # raises with the first error and where it is in the document
    for path, item in spec["paths"].items():
        for operation in item.values():
            for parameter in operation.get("parameters", []) if isinstance(operation, dict) else []:
                assert parameter["in"] in {"path", "query", "header", "cookie"}, (path, parameter)


def test_an_email_reply_is_one_multipart_body_with_text_and_files(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    reply = spec["paths"]["/api/v1/email/tickets/{ticket_id}/replies"]["post"]
    assert "parameters" not in reply  # the ticket id is the path item's
    [(content_type, body)] = reply["requestBody"]["content"].items()
    assert content_type == "multipart/form-data"
    schema = spec["components"]["schemas"][body["schema"]["$ref"].rsplit("/", 1)[1]]
    assert set(schema["properties"]) == {"text", "keep_cc", "files"} and schema["required"] == ["text"]
    assert schema["properties"]["files"]["items"] == {"type": "string", "format": "binary"}
