"""File formats, read and written as formats only: which of Ridni's fields go where is the
imports' and exports' business."""
