console.log("brickml");
