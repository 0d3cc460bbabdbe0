// A Lambda-style Node.js function: an async handler returns the result.
exports.handler = async (event, context) => {
  const name = (event && event.name) || 'world';
  console.log(`greeting ${name} (request ${context.awsRequestId})`);
  return { message: `Hello, ${name}!` };
};
