from services.origin import file_label, pages_text


def test_a_receipt_of_a_stack_is_named_by_its_file_and_pages():
    assert pages_text(1, None) == pages_text(1, 1) == "page 2"
    assert pages_text(1, 2) == "pages 2-3"
    assert file_label("stack.pdf", 1, 2) == "stack.pdf (pages 2-3)"
    assert file_label("receipt.jpg", None, None) == "receipt.jpg"
