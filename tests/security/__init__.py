"""The security suite (issue 11): one test module per class of defect, on both databases."""
