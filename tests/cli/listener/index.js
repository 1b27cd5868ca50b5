// A tiny listener: `flatfile deploy` bundles it with ncc and uploads it as an agent. Latchkey
// stores the agent and never runs it.
module.exports = function (listener) {
  listener.on("space:created", async (event) => {
    console.log(`space ${event.context.spaceId} created`);
  });
  listener.on("workbook:updated", async (event) => {
    console.log(`workbook ${event.context.workbookId} updated`);
  });
};
module.exports.default = module.exports;
