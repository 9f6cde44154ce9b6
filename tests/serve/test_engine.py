from tasks.serve.engine import StopFilter, cut_at_stop, held_back


def test_a_stop_string_cuts_the_text_at_its_first_occurrence():
    assert cut_at_stop("def f():\n    pass\nEND more", ["END", "pass"]) == ("def f():\n    ", True)
    assert cut_at_stop("no stop here", ["END"]) == ("no stop here", False)
    assert cut_at_stop("text", None) == ("text", False)


def test_the_possible_start_of_a_stop_string_is_held_back_until_the_next_piece():
    assert held_back("return x\nEN", ["END"]) == 2  # "EN" may become "END"
    assert held_back("return x\nE", ["END", "Ex"]) == 1
    assert held_back("return x", ["END"]) == 0
    assert held_back("abc", ["c>>", "bc>"]) == 2  # the longest candidate wins
    assert held_back("anything", []) == 0 and held_back("anything", None) == 0


def test_streamed_pieces_never_show_the_start_of_a_stop_string_split_across_pieces():
    deltas = StopFilter(["<END>"])
    shown = [deltas.feed(piece) for piece in ["The answer <", "E", "ND> and more"]]
    assert shown == ["The answer ", "", ""] and deltas.stopped and deltas.flush() == ""
    assert deltas.text == "The answer "


def test_text_that_only_looked_like_a_stop_string_is_sent_when_the_stream_ends():
    deltas = StopFilter(["<END>"])
    assert deltas.feed("a < b and <E") == "a < b and "
    assert not deltas.stopped and deltas.flush() == "<E"


def test_trailing_whitespace_is_sent_only_when_text_follows_it_as_the_full_answer_is_stripped():
    deltas = StopFilter(["<END>"])
    shown = [deltas.feed(piece) for piece in ["  def f():\n", "    ", "pass\n\n", "  "]]
    assert shown == ["def f():", "", "\n    pass", ""]
    assert not deltas.stopped and deltas.flush() == "" and deltas.text == "def f():\n    pass"


def test_whitespace_before_a_stop_string_is_kept_as_the_full_answer_keeps_it():
    deltas = StopFilter(["<END>"])
    assert [deltas.feed(piece) for piece in ["x = 1 \n", "<END>"]] == ["x = 1", " \n"]
    assert deltas.stopped and deltas.text == cut_at_stop("x = 1 \n<END>".strip(), ["<END>"])[0]
