/* Runs before the first paint (a small blocking script in <head>): says which enhancements this browser has,
   so CSS can lay the toolbar and the voice button out at once instead of shifting the page later. */
(function (c) {
  c.add("js");
  /* read-aloud: the browser's own voice, else the server's (/speech) when it has an engine */
  if (window.speechSynthesis || document.documentElement.dataset.serverSpeech) c.add("has-speech");
  if (window.SpeechRecognition || window.webkitSpeechRecognition) c.add("has-voice");
})(document.documentElement.classList);
