// Drives Updraft with the AWS SDK for JavaScript v3 (@aws-sdk/client-lambda):
// create, invoke with log tail, list, errors, delete. Prints one JSON line.
const {
  LambdaClient, CreateFunctionCommand, InvokeCommand, GetFunctionCommand,
  ListFunctionsCommand, DeleteFunctionCommand,
} = require("@aws-sdk/client-lambda");
const fs = require("fs");

const opts = (secret) => ({
  endpoint: process.env.ENDPOINT,
  region: "local",
  credentials: { accessKeyId: process.env.AKID, secretAccessKey: secret },
  maxAttempts: 1,
});

(async () => {
  const c = new LambdaClient(opts(process.env.SECRET));
  const out = {};
  const created = await c.send(new CreateFunctionCommand({
    FunctionName: "fromnode", Runtime: "nodejs20.x", Handler: "index.handler",
    Role: "arn:aws:iam::123456789012:role/r", Code: { ZipFile: fs.readFileSync(process.env.ZIP) },
  }));
  out.created = created.FunctionName;
  out.runtime = created.Runtime;
  out.sha = created.CodeSha256;
  const inv = await c.send(new InvokeCommand({
    FunctionName: "fromnode", Payload: Buffer.from(JSON.stringify({ name: "node" })), LogType: "Tail",
  }));
  out.status = inv.StatusCode;
  out.payload = Buffer.from(inv.Payload).toString();
  out.version = inv.ExecutedVersion;
  out.log = Buffer.from(inv.LogResult || "", "base64").toString();
  const list = await c.send(new ListFunctionsCommand({}));
  out.names = list.Functions.map((f) => f.FunctionName);
  try {
    await c.send(new GetFunctionCommand({ FunctionName: "nosuch" }));
  } catch (e) {
    out.notFound = e.name;
  }
  try {
    await new LambdaClient(opts("wrong-secret")).send(new ListFunctionsCommand({}));
  } catch (e) {
    out.badSignature = e.name;
  }
  await c.send(new DeleteFunctionCommand({ FunctionName: "fromnode" }));
  console.log(JSON.stringify(out));
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
