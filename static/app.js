// Latchkey admin page
