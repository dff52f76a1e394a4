// Pare
